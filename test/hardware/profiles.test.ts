import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../firmware/config/load-config';
import { sourceSpecFromConfig } from '../../firmware/main/source-spec';
import { buildPipeline } from '../../drivers/camera/gstreamer-pipelines';

const PROFILES = path.resolve(__dirname, '..', '..', '..', 'hardware', 'profiles');

describe('hardware profiles', () => {
  const files = readdirSync(PROFILES).filter((f) => f.endsWith('.yaml'));

  it('ships a profile for each camera the README names', () => {
    assert.deepEqual(files.sort(), ['jetson-csi-camera.yaml', 'raspberry-pi-camera.yaml', 'rtsp-camera.yaml', 'usb-camera.yaml']);
  });

  for (const file of files) {
    it(`${file} is a valid config whose camera pipeline builds`, () => {
      const config = loadConfig(path.join(PROFILES, file));
      const spec = sourceSpecFromConfig(config.camera);
      assert.equal(spec.kind, 'gstreamer');
      if (spec.kind === 'gstreamer') assert.match(buildPipeline(spec), /appsink/);
    });
  }
});
