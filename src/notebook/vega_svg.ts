import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Renders a Vega-Lite spec to an SVG string headless (vega's `none` renderer: no DOM, no canvas).
 *
 * @example
 * const svg = await vegaLiteToSvg({ mark: 'bar', data: { values: [{ x: 'a', y: 1 }] }, encoding: { x: { field: 'x' }, y: { field: 'y', type: 'quantitative' } } });
 */
export async function vegaLiteToSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
