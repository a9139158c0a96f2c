import test from 'ava';
import {displayText, hasControlCharacters} from '../../source/core/terminal-text.ts';

test('every control class is neutralized', t => {
	const hostile = 'a\u001B]52;c;SGVsbG8=\u0007\u001B[8m\u0000\u007F\u0085\u009B\u202E\u2066\n\t';
	const shown = displayText(hostile);
	t.false(hasControlCharacters(shown));
	t.is(shown, 'a␛]52;c;SGVsbG8=␇␛[8m␀␡<U+0085><U+009B><U+202E><U+2066>␊␉');
	t.true(hasControlCharacters(hostile));
});

test('line breaks are kept only on request; ordinary Unicode is kept', t => {
	t.is(displayText('é 日本 🎉\nx\ty', {keepLineBreaks: true}), 'é 日本 🎉\nx\ty');
	t.is(displayText('é 日本 🎉'), 'é 日本 🎉');
	t.false(hasControlCharacters('é 日本 🎉'));
	t.is(displayText(displayText('\u001B')), '␛');
});
