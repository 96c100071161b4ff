/**
 * The one place OpenCV is loaded; import it as `import cv = require('<path>/drivers/opencv')`.
 *
 * Two settings must be in place before the addon loads:
 * - @u4/opencv4nodejs prints its build-environment info lines on every require; they say nothing
 *   useful on an appliance, so its logger is silenced.
 * - Its "external memory tracking" tells V8 about every Mat allocation, including from Mat
 *   destructors that run inside garbage collection; V8 then starts a collection within a
 *   collection and aborts ("Check failed: marking_done_"), which we hit rendering and reading
 *   1080p frames. It is switched off; code that makes large Mats in a loop releases them itself.
 */
import { Log } from '@u4/opencv-build';

Log.silence = true;
process.env.OPENCV4NODEJS_DISABLE_EXTERNAL_MEM_TRACKING ??= '1';

import cv = require('@u4/opencv4nodejs');

export = cv;
