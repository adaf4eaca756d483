// Formatting for the cluster section of docs/benchmarks.md: numbers as the servers section
// writes them (three significant digits, thousands separated), Markdown tables, and prose
// wrapped at 100 columns.

/** A number to three significant digits, whole with separators from 1,000; a dash for none. */
export function number(value, digits = 3) {
    if (value === null || value === undefined || Number.isNaN(value)) {
        return '—';
    }
    if (Math.abs(value) >= 1000) {
        return Math.round(value).toLocaleString('en-US');
    }
    return String(Number(value.toPrecision(digits)));
}

export function ms(value) {
    return value === null || value === undefined ? '—' : `${number(value)} ms`;
}

/** A difference in milliseconds, signed. */
export function addedMs(value) {
    return value === null || value === undefined ? '—' : `${value >= 0 ? '+' : '−'}${number(Math.abs(value))} ms`;
}

export function us(value) {
    return value === null || value === undefined ? '—' : `${number(value)} µs`;
}

export function ratio(ours, theirs) {
    return ours === null || ours === undefined || !theirs ? '—' : `${number(ours / theirs, 2)}×`;
}

/** p50 / p99 of a generator's latency figures. */
export function percentiles(latency) {
    return latency && latency.samples > 0 ? `${ms(latency.p50)} / ${ms(latency.p99)}` : '—';
}

export function table(header, rows) {
    const row = (cells) => `| ${cells.join(' | ')} |`;
    return [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');
}

/** Prose lines wrapped at 100 columns, list items with a hanging indent; tables, headings and HTML as they are. */
export function wrap(line) {
    if (line.length <= 100 || /^(\||#|!|<)/.test(line)) {
        return line;
    }
    const indent = line.startsWith('- ') ? '  ' : '';
    const wrapped = [];
    let current = '';
    for (const word of line.split(' ')) {
        if (current !== '' && current.length + 1 + word.length > 100) {
            wrapped.push(current);
            current = indent + word;
        } else {
            current = current === '' ? word : `${current} ${word}`;
        }
    }
    wrapped.push(current);
    return wrapped.join('\n');
}
