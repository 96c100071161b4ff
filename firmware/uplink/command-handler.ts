/**
 * Commands from central, each answered: ok with a result, or refused with a stable code and a
 * reason. A command id seen before (central resends unreplied commands after a reconnect, and a
 * reply can be lost on the way) is answered from a small cache of recent replies, never run twice.
 */
import type { Logger } from '../../drivers/log';
import type { HealthReport } from '../health/health-report';
import type { ActorAndReason, HoldRequest } from '../store/record-actions';
import { HotlistError } from '../hotlist/hotlist-error';
import { HotlistStore } from '../hotlist/hotlist-store';
import { StoreError } from '../store/store-error';
import { HOTLIST_NAME_PATTERN, receiveHotlist } from './hotlist-inbox';
import type { Command, CommandName, CommandResults, RefusalCode } from './protocol';

/** What the handler needs of the store: the record actions. */
export interface CommandStore {
  hold(id: string, request: HoldRequest): Promise<void>;
  release(id: string, by: string): Promise<void>;
  delete(id: string, request: ActorAndReason): Promise<void>;
  correct(id: string, plate: string, request: ActorAndReason): Promise<void>;
}

export type CommandReply =
  | { ok: true; result: CommandResults[CommandName] }
  | { ok: false; error: { code: RefusalCode; message: string } };

export interface CommandHandlerOptions {
  store: CommandStore;
  /** A fresh health report (HealthCollector.collect). */
  health: () => Promise<HealthReport>;
  /** Where pushed hotlists are kept: DATA/hotlists (opened here on the first push when `hotlists` is not given). */
  hotlistDir: string;
  /** The appliance's open hotlists, so that a pushed list reaches its matcher at once. */
  hotlists?: HotlistStore;
  /** The pinned central CA certificate (PEM) a pushed list must be signed by; without one every push is refused. */
  centralCaPem?: () => string | null;
  log: Logger;
  now?: () => number;
  /** Replies remembered for duplicate command ids (default 256). */
  replyCacheSize?: number;
}

export interface CommandHandlerStats {
  handled: number;
  refused: number;
  duplicates: number;
}

const DONE = { done: true } as const;

export class CommandHandler {
  /** Recent replies by command id, oldest first; a running command's promise, so a duplicate waits for it. */
  private readonly replies = new Map<string, Promise<CommandReply>>();
  private readonly counters: CommandHandlerStats = { handled: 0, refused: 0, duplicates: 0 };
  private readonly now: () => number;
  private readonly cacheSize: number;
  private hotlists: Promise<HotlistStore> | null;

  constructor(private readonly o: CommandHandlerOptions) {
    this.now = o.now ?? Date.now;
    this.cacheSize = o.replyCacheSize ?? 256;
    this.hotlists = o.hotlists === undefined ? null : Promise.resolve(o.hotlists);
  }

  /** The answer to command `id`. Never rejects: a failure is a refusal with code FAILED. */
  handle(id: string, command: Command): Promise<CommandReply> {
    const cached = this.replies.get(id);
    if (cached !== undefined) {
      this.counters.duplicates++;
      this.o.log.info({ command: id, name: command.name }, 'command seen before; answering with the earlier reply');
      return cached;
    }
    const reply = this.run(id, command);
    this.replies.set(id, reply);
    while (this.replies.size > this.cacheSize) this.replies.delete(this.replies.keys().next().value as string);
    return reply;
  }

  /** The hotlists pushed lists go to: the appliance's, or one opened on hotlistDir (once; a failed open is retried at the next push). */
  private hotlistStore(): Promise<HotlistStore> {
    if (this.hotlists === null) {
      const opening = HotlistStore.open(this.o.hotlistDir, { log: this.o.log.child({ part: 'hotlists' }) });
      this.hotlists = opening;
      opening.catch(() => {
        if (this.hotlists === opening) this.hotlists = null;
      });
    }
    return this.hotlists;
  }

  stats(): CommandHandlerStats {
    return { ...this.counters };
  }

  private async run(id: string, command: Command): Promise<CommandReply> {
    let reply: CommandReply;
    try {
      reply = { ok: true, result: await this.execute(command) };
    } catch (err) {
      reply = { ok: false, error: refusalOf(err) };
    }
    if (reply.ok) {
      this.counters.handled++;
      this.o.log.info({ command: id, name: command.name, ...target(command) }, 'command done');
    } else {
      this.counters.refused++;
      this.o.log.warn({ command: id, name: command.name, ...target(command), code: reply.error.code, reason: reply.error.message }, 'command refused');
    }
    return reply;
  }

  private async execute(command: Command): Promise<CommandResults[CommandName]> {
    switch (command.name) {
      case 'health':
        return this.o.health();
      case 'hold':
        await this.o.store.hold(command.readId, { caseNumber: command.caseNumber, reason: command.reason, by: central(command.by) });
        return DONE;
      case 'release':
        await this.o.store.release(command.readId, central(command.by));
        return DONE;
      case 'delete':
        await this.o.store.delete(command.readId, { by: central(command.by), reason: command.reason });
        return DONE;
      case 'correct':
        await this.o.store.correct(command.readId, command.plate, { by: central(command.by), reason: command.reason });
        return DONE;
      case 'hotlist': {
        if (!HOTLIST_NAME_PATTERN.test(command.list)) {
          throw new Refusal('INVALID', `list: ${JSON.stringify(command.list.slice(0, 80))} is not a usable list name (1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit)`);
        }
        const caPem = this.o.centralCaPem?.() ?? null;
        if (caPem === null) throw new Refusal('REFUSED', `hotlist ${command.list}: no pinned central CA to verify the snapshot against; the list held is kept`);
        const held = await receiveHotlist(await this.hotlistStore(), command, caPem, this.now());
        return { stored: true, entries: held.entries, verified: true };
      }
    }
  }
}

/** A refusal decided here rather than mapped from a store error. */
class Refusal extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
  }
}

/** Actions taken on central's behalf are recorded as such in the store's history. */
function central(by: string): string {
  return `central:${by}`;
}

function target(command: Command): Record<string, string> {
  return 'readId' in command ? { readId: command.readId } : command.name === 'hotlist' ? { list: command.list } : {};
}

function refusalOf(err: unknown): { code: RefusalCode; message: string } {
  // The protocol bounds a reason to 2,000 characters.
  const message = (err instanceof Error ? err.message : String(err)).slice(0, 2000);
  if (err instanceof Refusal) return { code: err.code, message };
  if (err instanceof HotlistError) return { code: err.code === 'HOTLIST_INVALID' ? 'INVALID' : err.code === 'HOTLIST_NOT_FOUND' ? 'NOT_FOUND' : 'REFUSED', message };
  if (err instanceof StoreError) {
    switch (err.code) {
      case 'STORE_NOT_FOUND':
        return { code: 'NOT_FOUND', message };
      case 'STORE_CONFLICT':
      case 'STORE_QUOTA_FULL':
        return { code: 'REFUSED', message };
      case 'STORE_BAD_QUERY':
        return { code: 'INVALID', message };
      default:
        return { code: 'FAILED', message };
    }
  }
  return { code: 'FAILED', message };
}
