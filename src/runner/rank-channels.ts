// The event channels of a torchrun job's ranks. torchrun starts each rank with Popen's close_fds, so the
// harness's fd 3 never reaches a rank: every rank connects to this Unix socket instead (a filesystem
// path, never the network) and its first event, hello, says which rank it is (docs/profiling.md,
// "torchrun jobs").
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ProfileEvent } from '../shared/profile';
import { decodeStream } from './events';

export interface RankSink {
  /** `channel` numbers the connections in arrival order; the rank is in the channel's hello. */
  event(channel: number, e: ProfileEvent): void;
  invalid(): void;
  tooLong(): void;
}

export class RankChannels {
  private readonly dir: string;
  readonly socketPath: string;
  private readonly server: net.Server;
  private readonly decoders: Promise<void>[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(dir: string, server: net.Server) {
    this.dir = dir;
    this.socketPath = path.join(dir, 'events.sock');
    this.server = server;
  }

  static async open(sink: RankSink): Promise<RankChannels> {
    // A short path: Unix socket paths are limited to about 100 bytes.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-ranks-'));
    let next = 0;
    const channels: RankChannels = new RankChannels(dir, net.createServer((socket) => {
      const channel = next++;
      channels.sockets.add(socket);
      socket.once('close', () => channels.sockets.delete(socket));
      channels.decoders.push(decodeStream(socket, {
        event: (e) => sink.event(channel, e),
        invalid: () => sink.invalid(),
        tooLong: () => sink.tooLong(),
      }));
    }));
    await new Promise<void>((resolve, reject) => {
      channels.server.once('error', reject);
      channels.server.listen(channels.socketPath, () => resolve());
    });
    return channels;
  }

  /**
   * After the job ended: reads what the ranks sent to the end, then removes the socket. A rank that left
   * a descendant holding its connection open is cut off after `waitMs`.
   */
  async close(waitMs: number): Promise<void> {
    this.server.close();
    const timer = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, waitMs);
    await Promise.all(this.decoders);
    clearTimeout(timer);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
