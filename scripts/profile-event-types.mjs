// Generates src/shared/profile-event-types.ts, the TypeScript types of the harness events, from their one
// declaration, src/shared/profile-events.schema.json (docs/profiling.md, "The harness event contract").
// The build runs it; `node scripts/profile-event-types.mjs --check` fails when the committed file is stale
// (a unit test runs that). Covers the JSON Schema the contract uses: $ref to $defs, const, enum, oneOf,
// type (one or a list), arrays, objects with properties. The types describe events as the Node side sees
// them after validation: a field with a `default` is always present (the validator fills it).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_FILE = path.join(root, 'src/shared/profile-events.schema.json');
export const TYPES_FILE = path.join(root, 'src/shared/profile-event-types.ts');

const literal = (v) => (typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : JSON.stringify(v));
const constName = (title) => `${title.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}S`;
const PRIMITIVE = { integer: 'number', number: 'number', string: 'string', boolean: 'boolean', null: 'null' };

export function generate(schema) {
  const defs = schema.$defs ?? {};
  const deref = (ref) => {
    const m = /^#\/\$defs\/([^/]+)$/.exec(ref);
    if (!m || !(m[1] in defs)) throw new Error(`unsupported $ref ${ref}`);
    return defs[m[1]];
  };
  const comment = (text, indent) => (text ? `${indent}/** ${text} */\n` : '');
  const union = (parts) => [...new Set(parts)].join(' | ');

  function type(s, indent) {
    if (s.$ref) {
      const target = deref(s.$ref);
      return target.title ?? type(target, indent);
    }
    if ('const' in s) return literal(s.const);
    if (s.enum) return union(s.enum.map(literal));
    if (s.oneOf || s.anyOf) return union((s.oneOf ?? s.anyOf).map((x) => type(x, indent)));
    const types = Array.isArray(s.type) ? s.type : [s.type];
    return union(types.map((t) => {
      if (t === 'array') {
        const item = type(s.items ?? {}, indent);
        return /[|&]/.test(item) && !item.startsWith('{') ? `(${item})[]` : `${item}[]`;
      }
      if (t === 'object') return object(s, indent);
      if (t in PRIMITIVE) return PRIMITIVE[t];
      if (t === undefined) return 'unknown';
      throw new Error(`unsupported type ${t}`);
    }));
  }

  function object(s, indent) {
    const required = new Set(s.required ?? []);
    const inner = `${indent}  `;
    const fields = Object.entries(s.properties ?? {}).map(([key, p]) => {
      const optional = !required.has(key) && !('default' in p);
      return `${comment(p.description, inner)}${inner}${key}${optional ? '?' : ''}: ${type(p, inner)};\n`;
    });
    return `{\n${fields.join('')}${indent}}`;
  }

  let out = '// Generated from profile-events.schema.json by scripts/profile-event-types.mjs (the build runs it):\n' +
    '// edit the schema, not this file. docs/profiling.md, "The harness event contract".\n';
  for (const def of Object.values(defs)) {
    if (!def.title) continue;
    out += `\n${comment(def.description, '')}`;
    if (def.type === 'object') out += `export interface ${def.title} ${object(def, '')}\n`;
    else out += `export type ${def.title} = ${type(def, '')};\n`;
    if (def.enum) out += `export const ${constName(def.title)}: readonly ${def.title}[] = [${def.enum.map(literal).join(', ')}];\n`;
  }
  out += `\n${comment(schema.description, '')}export type ${schema.title} =\n${schema.oneOf.map((x) => `  | ${type(x, '')}`).join('\n')};\n`;
  return out;
}

/** Writes the types file when it differs; returns true when it was stale. */
export function writeEventTypes() {
  const text = generate(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')));
  const old = fs.existsSync(TYPES_FILE) ? fs.readFileSync(TYPES_FILE, 'utf8') : null;
  if (old === text) return false;
  fs.writeFileSync(TYPES_FILE, text);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const text = generate(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')));
    const old = fs.existsSync(TYPES_FILE) ? fs.readFileSync(TYPES_FILE, 'utf8') : '';
    if (old !== text) {
      console.error(`${path.relative(root, TYPES_FILE)} is stale: run node scripts/profile-event-types.mjs`);
      process.exit(1);
    }
  } else if (writeEventTypes()) console.log(`wrote ${path.relative(root, TYPES_FILE)}`);
}
