import test from 'ava';
import {formatCount} from '../../source/core/display-format.ts';

test('formatCount groups thousands as en-US does', t => {
	const reference = new Intl.NumberFormat('en-US');
	const values = [0, 1, 7, 999, 1000, 1001, 12_345, 999_999, 1_000_000, 1_234_567, 10_000_000_000, -1, -1234, -1_000_000];
	for (let value = 1; value < 1e15; value = value * 7 + 3) values.push(value);
	for (const value of values) t.is(formatCount(value), reference.format(value), String(value));
});

test('formatCount shows whole counts only', t => {
	t.is(formatCount(3000.9), '3,000');
});
