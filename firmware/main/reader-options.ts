import type { PlateReaderOptions } from '../../recognizer/plate-reader';
import { DEFAULT_MOTION_GATE_OPTIONS } from '../../recognizer/preprocess/motion-gate';
import type { Config } from '../config/schema';

/** The recognizer section of the config, as each worker's PlateReader wants it. */
export function readerOptions(recognizer: Config['recognizer']): Partial<PlateReaderOptions> {
  return {
    threads: recognizer.threadsPerWorker,
    detectLongSide: recognizer.detectLongSide,
    minConfidence: recognizer.minConfidence,
    ocr: recognizer.ocr,
    localizer: recognizer.localizer,
    finderLongSide: recognizer.finderLongSide,
    textFallbackBelow: recognizer.textFallbackBelow,
    plateOcrModels: recognizer.plateOcrModels,
    wideViews: recognizer.wideViews,
    roi: recognizer.roi,
    motionGate: recognizer.motionGate.enabled
      ? {
          ...DEFAULT_MOTION_GATE_OPTIONS,
          levelThreshold: recognizer.motionGate.levelThreshold,
          minChangedShare: recognizer.motionGate.minChangedPercent / 100,
          heartbeatMs: recognizer.motionGate.heartbeatMs,
        }
      : null,
  };
}
