import assert from 'node:assert/strict';
import { FrameFailureLog } from '../../../firmware/pipeline/frame-failure-log';
import { RecognizerError } from '../../../recognizer/recognizer-error';
import { recordingLogger } from '../../drivers/camera/recording-logger';

describe('FrameFailureLog', () => {
  it('logs the first failure of a kind at once, then one line per interval with the count since', () => {
    const { log, entries } = recordingLogger();
    let now = 0;
    const failures = new FrameFailureLog(log, 10_000, () => now);
    const tooSmall = new RecognizerError('IMAGE_INVALID', 'region of interest is 16x12 px in a 160x120 frame');
    for (let seq = 0; seq < 250; seq++, now += 40) failures.frameFailed(tooSmall, { seq });
    // 10 s of frames at 25 fps: the first line, and one more at 10 s for the 249 in between.
    assert.equal(entries.length, 1);
    failures.frameFailed(tooSmall, { seq: 250 });
    assert.equal(entries.length, 2);
    assert.deepEqual(
      entries.map((e) => [e.level, e.msg, e.fields.seq, e.fields.sameFailuresSinceLastLine]),
      [
        ['warn', 'frame could not be recognized', 0, undefined],
        ['warn', 'frame could not be recognized', 250, 249],
      ],
    );
    assert.equal(entries[1].fields.err, tooSmall);
  });

  it('logs another kind of failure at once', () => {
    const { log, entries } = recordingLogger();
    const failures = new FrameFailureLog(log, 10_000, () => 5);
    failures.frameFailed(new RecognizerError('IMAGE_CORRUPT', 'truncated'), { seq: 1 });
    failures.frameFailed(new RecognizerError('IMAGE_CORRUPT', 'truncated'), { seq: 2 });
    failures.frameFailed(new RecognizerError('WORKER_FAILED', 'worker exited'), { seq: 3 });
    failures.frameFailed(new TypeError('no code'), { seq: 4 });
    assert.deepEqual(entries.map((e) => e.fields.seq), [1, 3, 4]);
  });
});
