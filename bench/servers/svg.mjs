// Minimal SVG line charts for docs/benchmarks.md: axes (linear or logarithmic) with ticks and
// grid lines, one polyline per series with its points, dashed series, horizontal reference lines
// and a legend. Enough for the benchmark's two charts without a chart library.

const WIDTH = 760;
const HEIGHT = 440;
const MARGIN = { top: 44, right: 210, bottom: 56, left: 72 };
const FONT = 'font-family="sans-serif" font-size="12"';

/**
 * The SVG document of a chart.
 * chart: {title, xLabel, yLabel, xLog, yLog, series: [{name, color, dashed, points: [{x, y, hollow}]}],
 *         references: [{y, label}]}
 * A hollow point is drawn as a ring (used for measurements that did not qualify).
 */
export function lineChart(chart) {
    const points = chart.series.flatMap((series) => series.points);
    const referenceYs = (chart.references ?? []).map((reference) => reference.y);
    const x = axis(points.map((point) => point.x), chart.xLog, MARGIN.left, WIDTH - MARGIN.right);
    const y = axis([...points.map((point) => point.y), ...referenceYs], chart.yLog, HEIGHT - MARGIN.bottom, MARGIN.top);
    const plotLeft = MARGIN.left;
    const plotRight = WIDTH - MARGIN.right;
    const plotTop = MARGIN.top;
    const plotBottom = HEIGHT - MARGIN.bottom;
    const parts = [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" ${FONT}>`,
        `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
        `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escape(chart.title)}</text>`,
    ];
    for (const tick of x.ticks) {
        const px = x.scale(tick);
        parts.push(`<line x1="${px}" y1="${plotTop}" x2="${px}" y2="${plotBottom}" stroke="#e4e4e4"/>`);
        parts.push(`<text x="${px}" y="${plotBottom + 18}" text-anchor="middle">${formatTick(tick)}</text>`);
    }
    for (const tick of y.ticks) {
        const py = y.scale(tick);
        parts.push(`<line x1="${plotLeft}" y1="${py}" x2="${plotRight}" y2="${py}" stroke="#e4e4e4"/>`);
        parts.push(`<text x="${plotLeft - 8}" y="${py + 4}" text-anchor="end">${formatTick(tick)}</text>`);
    }
    parts.push(`<rect x="${plotLeft}" y="${plotTop}" width="${plotRight - plotLeft}" height="${plotBottom - plotTop}" fill="none" stroke="#333"/>`);
    parts.push(`<text x="${(plotLeft + plotRight) / 2}" y="${HEIGHT - 14}" text-anchor="middle">${escape(chart.xLabel)}</text>`);
    parts.push(`<text transform="translate(18 ${(plotTop + plotBottom) / 2}) rotate(-90)" text-anchor="middle">${escape(chart.yLabel)}</text>`);
    for (const reference of chart.references ?? []) {
        const py = y.scale(reference.y);
        parts.push(`<line x1="${plotLeft}" y1="${py}" x2="${plotRight}" y2="${py}" stroke="#c00" stroke-dasharray="2 3"/>`);
        parts.push(`<text x="${plotLeft + 6}" y="${py - 5}" fill="#c00">${escape(reference.label)}</text>`);
    }
    for (const series of chart.series) {
        const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
        const coordinates = series.points.map((point) => `${x.scale(point.x)},${y.scale(point.y)}`).join(' ');
        parts.push(`<polyline points="${coordinates}" fill="none" stroke="${series.color}" stroke-width="2"${dash}/>`);
        for (const point of series.points) {
            const fill = point.hollow ? 'white' : series.color;
            parts.push(`<circle cx="${x.scale(point.x)}" cy="${y.scale(point.y)}" r="3.5" fill="${fill}" stroke="${series.color}" stroke-width="1.5"/>`);
        }
    }
    chart.series.forEach((series, index) => {
        const ly = plotTop + 10 + index * 20;
        const lx = plotRight + 16;
        const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
        parts.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 26}" y2="${ly}" stroke="${series.color}" stroke-width="2"${dash}/>`);
        parts.push(`<circle cx="${lx + 13}" cy="${ly}" r="3.5" fill="${series.color}"/>`);
        parts.push(`<text x="${lx + 32}" y="${ly + 4}">${escape(series.name)}</text>`);
    });
    if (chart.note) {
        const ly = plotTop + 10 + chart.series.length * 20 + 10;
        chart.note.forEach((line, index) => {
            parts.push(`<text x="${plotRight + 16}" y="${ly + index * 16}" fill="#555" font-size="11">${escape(line)}</text>`);
        });
    }
    parts.push('</svg>');
    return `${parts.join('\n')}\n`;
}

/** The scale (value → pixel between `from` and `to`) and tick values of an axis over `values`. */
function axis(values, logarithmic, from, to) {
    const positive = logarithmic ? values.filter((value) => value > 0) : values;
    let low = Math.min(...positive);
    let high = Math.max(...positive);
    if (logarithmic) {
        low = 10 ** Math.floor(Math.log10(low));
        high = Math.max(10 ** Math.ceil(Math.log10(high)), low * 10);
        const ticks = logTicks(low, high);
        const span = Math.log10(high) - Math.log10(low);
        return { ticks, scale: (value) => round(from + ((Math.log10(Math.max(value, low)) - Math.log10(low)) / span) * (to - from)) };
    }
    low = Math.min(0, low);
    const stepSize = niceStep((high - low) / 6 || 1);
    high = Math.ceil(high / stepSize) * stepSize || stepSize;
    const ticks = [];
    for (let tick = low; tick <= high + stepSize / 2; tick += stepSize) {
        ticks.push(round(tick));
    }
    return { ticks, scale: (value) => round(from + ((value - low) / (high - low)) * (to - from)) };
}

/** 1, 2, 5 × 10^k between low and high. */
function logTicks(low, high) {
    const ticks = [];
    for (let decade = low; decade <= high; decade *= 10) {
        for (const factor of [1, 2, 5]) {
            const tick = decade * factor;
            if (tick >= low && tick <= high) {
                ticks.push(tick);
            }
        }
    }
    return ticks;
}

function niceStep(rough) {
    const magnitude = 10 ** Math.floor(Math.log10(rough));
    const normalized = rough / magnitude;
    const factor = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10;
    return factor * magnitude;
}

function formatTick(value) {
    if (value >= 1000) {
        return `${value / 1000}k`;
    }
    return String(Number(value.toPrecision(6)));
}

function round(value) {
    return Math.round(value * 10) / 10;
}

function escape(text) {
    return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
