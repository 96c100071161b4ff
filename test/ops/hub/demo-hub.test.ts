/**
 * The `make run` demo hub with a real enrolled device: enrollment through the real TLS-PSK
 * listener, then the DEMO hotlist push over the real mutual-TLS uplink, verified by the device
 * against the CA it pinned and stored in its hotlists.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { silentLogger } from '../../../drivers/log';
import { DEMO_FEATURED_PLATES } from '../../../drivers/camera/synthetic/featured-plates';
import { configSchema, type Config } from '../../../firmware/config/schema';
import { HotlistStore } from '../../../firmware/hotlist/hotlist-store';
import { identityDirOf } from '../../../firmware/main/identity-dir';
import { SqliteReadStore } from '../../../firmware/store/sqlite-read-store';
import { CommandHandler } from '../../../firmware/uplink/command-handler';
import { UplinkClient } from '../../../firmware/uplink/uplink-client';
import type { StoredReply } from '../../../ops/hub/commands-table';
import { startDemoHub, type DemoHub } from '../../../ops/hub/demo-hub';
import { demoHotlist } from '../../../ops/hub/demo-hotlist';
import { loadIdentity } from '../../../provisioning/identity-files';
import { eventually } from '../../support/fake-hub';
import { useTempDir } from '../../support/temp-dir';

describe('demo hub (make run): the DEMO hotlist', function () {
  this.timeout(60_000);
  const tmp = useTempDir('sightline-demo-hub-');
  const stops: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  function demoConfig(): Config {
    return configSchema.parse({ store: { dataDir: path.join(tmp(), 'data') }, device: { id: 'demo-cam' } });
  }

  async function start(config: Config): Promise<{ demo: DemoHub; replies: Map<string, StoredReply> }> {
    const demo = await startDemoHub(config, silentLogger);
    assert.ok(demo, 'the demo hub started');
    stops.push(() => demo.close());
    const replies = new Map<string, StoredReply>();
    demo.hub.on('reply', (_device: string, id: string, reply: StoredReply) => replies.set(id, reply));
    return { demo, replies };
  }

  /** The device as the appliance composes it: its enrolled identity, its hotlists, pushes checked against its pinned CA. */
  async function device(config: Config, url: string, hotlists: HotlistStore): Promise<void> {
    const identityDir = identityDirOf(config);
    const identity = loadIdentity(identityDir);
    assert.ok(identity, 'the demo enrolled the device');
    const store = await SqliteReadStore.open(path.join(tmp(), 'device-store'), { diskReserveBytes: 0, integrityCheck: 'quick' });
    stops.push(() => store.close());
    const commands = new CommandHandler({
      store,
      health: () => Promise.reject(new Error('unused')),
      hotlistDir: hotlists.dir,
      hotlists,
      centralCaPem: () => identity.caPem,
      log: silentLogger,
    });
    const client = new UplinkClient({ identity: () => identity, store, commands, options: { url, backoff: { initialMs: 50, maxMs: 200 } }, log: silentLogger });
    stops.push(() => client.stop());
    client.start();
  }

  it('queues a signed DEMO push at each start that the enrolled device verifies and loads, newer each time', async () => {
    const config = demoConfig();
    const hotlists = await HotlistStore.open(path.join(config.store.dataDir, 'hotlists'));
    const before = Date.now();
    const first = await start(config);
    assert.equal(first.demo.deviceId, 'demo-cam');
    await device(config, first.demo.uplinkUrl, hotlists);
    await eventually(() => first.replies.has(first.demo.hotlistCommandId), 'the device to answer the hotlist push');
    assert.deepEqual(first.replies.get(first.demo.hotlistCommandId), { ok: true, result: { stored: true, entries: 3, verified: true } });

    const held = hotlists.summary('DEMO');
    assert.ok(held, 'the DEMO list is held');
    assert.equal(held.source, 'central');
    assert.ok(held.version !== null && held.version >= before, `version ${held.version}`);
    assert.equal(held.stale, false);
    assert.deepEqual(
      hotlists.entries('DEMO').map((e) => [e.plate, e.caseNumber, e.enteredBy]),
      demoHotlist(0).entries.map((e) => [e.plate, e.caseNumber, e.enteredBy]),
    );
    assert.equal(hotlists.entries('DEMO')[0].plate, DEMO_FEATURED_PLATES[0]);

    // The next `make run`: the same device (no new enrollment), a fresh list that replaces the old one.
    await stops.pop()!(); // the device
    await stops.pop()!(); // its store
    await first.demo.close();
    const second = await start(config);
    assert.equal(second.demo.deviceId, 'demo-cam');
    await device(config, second.demo.uplinkUrl, hotlists);
    await eventually(() => second.replies.has(second.demo.hotlistCommandId), 'the device to answer the second push');
    assert.equal(second.replies.get(second.demo.hotlistCommandId)?.ok, true, JSON.stringify(second.replies.get(second.demo.hotlistCommandId)));
    const again = hotlists.summary('DEMO');
    assert.ok(again?.version != null && again.version > held.version!, `version ${again?.version} after ${held.version}`);
    assert.equal(again.entries, 3);
  });
});
