import assert from 'node:assert/strict';
import { resolveUplinkOptions, UPLINK_DEFAULTS } from '../../../firmware/uplink/uplink-options';

describe('uplink options', function () {
  it('fills in the defaults', () => {
    const o = resolveUplinkOptions({ url: 'wss://hub.example:8443' });
    assert.deepEqual(o, { url: 'wss://hub.example:8443', serverName: undefined, ...UPLINK_DEFAULTS, backoff: { ...UPLINK_DEFAULTS.backoff } });
    assert.deepEqual(resolveUplinkOptions({ url: 'wss://h:1', backoff: { maxMs: 5000 } }).backoff, { initialMs: 1000, maxMs: 5000 });
  });

  it('refuses what it cannot use, naming the option', () => {
    assert.throws(() => resolveUplinkOptions({ url: 'ws://hub.example:8443' }), /must use wss:\/\//);
    assert.throws(() => resolveUplinkOptions({ url: 'hub.example' }), /not a URL/);
    assert.throws(() => resolveUplinkOptions({ url: 'wss://h:1', batchReads: 501 }), /batchReads must be an integer from 1 to 500/);
    assert.throws(() => resolveUplinkOptions({ url: 'wss://h:1', windowBatches: 0 }), /windowBatches/);
    assert.throws(() => resolveUplinkOptions({ url: 'wss://h:1', backoff: { initialMs: 5000, maxMs: 100 } }), /backoff.maxMs/);
    assert.throws(() => resolveUplinkOptions({ url: 'wss://h:1', heartbeatMs: 2.5 }), /heartbeatMs/);
  });
});
