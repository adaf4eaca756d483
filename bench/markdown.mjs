// Writing the sections of docs/benchmarks.md, shared by every part's report: numbers (three
// significant digits, thousands separated), Markdown tables, prose wrapped at 100 columns, and
// a section rewritten between its markers leaving the rest of the file as it is.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';

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

/** Prose lines wrapped at 100 columns, list items with a hanging indent; tables, headings, images and HTML as they are. */
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

/**
 * Puts `section` (which begins with `start` and ends with `end`, the section's markers) into
 * the Markdown file at `documentPath` in place of the one between those markers, or at its end.
 */
export function writeSection(documentPath, start, end, section) {
    const document = existsSync(documentPath) ? readFileSync(documentPath, 'utf8') : '# Benchmarks\n';
    const from = document.indexOf(start);
    const to = document.indexOf(end);
    const updated = from >= 0 && to > from
        ? document.slice(0, from) + section + document.slice(to + end.length)
        : `${document.replace(/\n*$/, '\n\n')}${section}\n`;
    writeFileSync(documentPath, updated);
}
