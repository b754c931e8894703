/**
 * Vega-Lite spec -> SVG in Node with vega's headless 'none' renderer: no browser, no DOM, no canvas (text widths are
 * estimated when node-canvas is absent). The report embeds the SVG inline, so figures are vector in the PDF.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Compiles and renders one spec.
 *
 * @example
 * const svg = await specToSvg(trainingCurves(run));
 */
export async function specToSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none', logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
