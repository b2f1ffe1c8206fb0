/**
 * Fills a traces URL template (the AIMASS_MONITOR_TRACES_URL setting) for one model version:
 * `{model}` and `{version}` become the URL-encoded names. Empty template: no link.
 */
export function tracesUrl(template: string, model: string, version: string): string {
  if (template === '') return '';
  return template
    .replaceAll('{model}', encodeURIComponent(model))
    .replaceAll('{version}', encodeURIComponent(version));
}
