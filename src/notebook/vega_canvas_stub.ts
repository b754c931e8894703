/**
 * Stand-in for `vega-canvas` in the CommonJS notebook bundle: the real module has a top-level `await import('canvas')`
 * that CommonJS cannot load (docs/ARCHITECTURE.md §7), and SVG rendering needs no canvas (vega then estimates text widths).
 * Each function answers "no canvas", as vega-canvas does when the optional `canvas` package is absent.
 */
export function domCanvas(): null {
  return null;
}
export function nodeCanvas(): null {
  return null;
}
export function canvas(): null {
  return null;
}
export function image(): null {
  return null;
}
