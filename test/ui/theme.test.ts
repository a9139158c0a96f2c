import test from 'ava';
import {createTheme, isNoColor, type ColorRole} from '../../source/ui/theme.ts';

const roles: ColorRole[] = ['accent', 'muted', 'success', 'error', 'warning', 'focus', 'selection', 'border', 'title'];

test('NO_COLOR with any non-empty value removes every colour, keeping bold and inverse', t => {
	for (const value of ['1', 'true', '0', 'yes']) {
		const theme = createTheme({NO_COLOR: value});
		t.true(theme.noColor);
		for (const role of roles) {
			t.is(theme.color(role), undefined, role);
			t.is(theme.text(role).color, undefined, role);
		}

		t.true(theme.text('selection').inverse);
		t.true(theme.text('focus').bold);
	}
});

test('an empty or missing NO_COLOR leaves colours on', t => {
	t.false(isNoColor({NO_COLOR: ''}));
	t.false(isNoColor({}));
	const theme = createTheme({});
	for (const role of roles) t.is(typeof theme.color(role), 'string', role);
});

test('text styles are fresh objects (spreading one cannot change the theme)', t => {
	const theme = createTheme({});
	const style = theme.text('error');
	style.color = 'blue';
	t.not(theme.text('error').color, 'blue');
});
