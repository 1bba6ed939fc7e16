// Run data as Arrow IPC *stream* files, appended batch by batch while the run goes on: if the
// orchestrator itself dies, what was flushed is still a readable stream (a missing end-of-stream marker
// is tolerated by Arrow readers). The dashboard reads these zero-copy into typed arrays for its charts.
import fs from 'node:fs';
import { Field, makeData, RecordBatch, RecordBatchStreamWriter, Schema, Struct, Table, vectorFromArray } from 'apache-arrow';
import type { DataType } from 'apache-arrow';

export interface ColumnSpec<Row> {
  name: string;
  type: DataType;
  nullable?: boolean;
  value: (row: Row) => number | string | boolean | null;
}

export class ArrowStreamFile<Row> {
  private readonly writer = new RecordBatchStreamWriter();
  private readonly out: fs.WriteStream;
  private readonly finished: Promise<void>;
  private readonly schema: Schema;
  private pending: Row[] = [];
  rows = 0;

  constructor(readonly path: string, private readonly columns: readonly ColumnSpec<Row>[]) {
    this.schema = new Schema(columns.map((c) => new Field(c.name, c.type, c.nullable ?? false)));
    this.out = fs.createWriteStream(path);
    this.finished = new Promise((resolve, reject) => {
      this.out.once('finish', () => resolve());
      this.out.once('error', reject);
    });
    this.writer.toNodeStream().pipe(this.out);
  }

  append(rows: readonly Row[]): void {
    for (const r of rows) this.pending.push(r);
  }

  /** Writes pending rows as one record batch. */
  flush(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    const vectors = Object.fromEntries(
      this.columns.map((c) => [c.name, vectorFromArray(rows.map(c.value), c.type)]),
    );
    const table = new Table(vectors);
    for (const batch of table.batches) this.writer.write(new RecordBatch(this.schema, batch.data));
    this.rows += rows.length;
  }

  async close(): Promise<void> {
    this.flush();
    if (this.rows === 0) {
      // An empty stream still carries its schema, so readers see the columns.
      const children = this.schema.fields.map((f) => makeData({ type: f.type, length: 0 }));
      this.writer.write(new RecordBatch(this.schema, makeData({ type: new Struct(this.schema.fields), length: 0, children })));
    }
    this.writer.close();
    await this.finished;
  }
}
