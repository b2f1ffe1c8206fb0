/** The tag (on a model or one of its versions) that names the anomaly detector of its live inputs. */
export const DETECTOR_TAG = 'monitor.detector';

/** Which detector version a `monitor.detector` tag names: a model and a version number or alias. */
export interface DetectorRef {
  readonly model: string;
  /** A version number or an alias name. */
  readonly selector: string;
}

const MODEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SELECTOR = /^(?:[1-9][0-9]{0,9}|[a-z][a-z0-9_-]{0,62})$/;

/**
 * Reads a `monitor.detector` value, `<model>@<version or alias>` (e.g. `fraud-gmm@production`,
 * `fraud-gmm@3`). Returns the reference, or a message saying what is wrong with the value.
 */
export function parseDetectorTag(value: string): DetectorRef | { readonly error: string } {
  const at = value.lastIndexOf('@');
  const model = at < 0 ? value : value.slice(0, at);
  const selector = at < 0 ? '' : value.slice(at + 1);
  if (at < 0 || !MODEL.test(model) || !SELECTOR.test(selector))
    return {
      error: `tag ${DETECTOR_TAG} is "${value}"; expected <model>@<version or alias>, e.g. fraud-gmm@production or fraud-gmm@3`,
    };
  return { model, selector };
}

/** The detector tag of a version: its own tag wins over its model's. */
export function detectorTagOf(
  versionTags: Readonly<Record<string, string>> | undefined,
  modelTags: Readonly<Record<string, string>> | undefined,
): string | undefined {
  return versionTags?.[DETECTOR_TAG] ?? modelTags?.[DETECTOR_TAG];
}
