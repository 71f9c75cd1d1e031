// One uPlot time-series chart sized to its box, redrawn at the box's width when it changes.
import uPlot from '../vendor/uplot/uPlot.esm.js';

const HEIGHT = 200;

/** Draws series [[label, colour, values]] over x (epoch seconds) into box; returns {destroy}. */
export function chart(box, x, series) {
  box.replaceChildren();
  const width = () => Math.max(240, box.clientWidth || 600);
  const plot = new uPlot(
    {
      width: width(),
      height: HEIGHT,
      cursor: { drag: { x: false, y: false } },
      scales: { y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [{ stroke: '#64748b', grid: { stroke: '#eef2f7' } }, { stroke: '#64748b', grid: { stroke: '#eef2f7' }, size: 56 }],
      series: [
        {},
        ...series.map(([label, stroke, values]) => ({ label, stroke, width: 2, fill: `${stroke}14`, spanGaps: false, points: { show: values.filter((v) => v !== null).length < 30, size: 5 } })),
      ],
    },
    [x, ...series.map(([, , values]) => values)],
    box,
  );
  // What a test (or a curious user) can read: the points drawn, and those above zero.
  box.uplot = plot;
  box.dataset.points = String(x.length);
  box.dataset.nonzero = String(series[0][2].filter((v) => v > 0).length);
  const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: HEIGHT }));
  resize.observe(box);
  return {
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}
