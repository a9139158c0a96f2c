import test from 'ava';
import {getUrlSettings} from '../../source/core/url-settings.ts';
import {joinedInstance} from '../helpers/catalog-fixtures.ts';
import {frame, press} from '../helpers/ink.ts';
import {renderPage, typeText, waitForFrame} from '../helpers/page-harness.tsx';

test.serial('Web Service URL: defaults and resulting URL; a bad port is shown at TCP Port; Apply saves locally', async t => {
	const {session} = await joinedInstance(t);
	const rendered = await renderPage(t, session, 'web-service-url');
	await waitForFrame(rendered, '›Virtual Directory:');
	t.true(frame(rendered).includes('[ReportServer'));
	t.true(frame(rendered).includes('(•) All Assigned'));
	t.regex(frame(rendered), /URLs: http:\/\/TESTHOST:80\/ReportServer/);
	// Virtual directory, four address options, TCP Port.
	await press(rendered, 'tab', 'tab', 'tab', 'tab', 'tab');
	t.regex(frame(rendered), /›TCP Port:/);
	await press(rendered, 'backspace', 'backspace');
	await typeText(rendered, '99999');
	t.true(frame(rendered).includes('(fix the fields above)'));
	await press(rendered, 'tab', 'tab', 'tab', 'enter');
	await waitForFrame(rendered, /TCP Port:.*\n.*✖ TCP Port must be a number from 1 to 65535/);
	t.is(getUrlSettings(session, 'webService').tcpPort, 80);

	await press(rendered, 'shiftTab', 'shiftTab', 'shiftTab');
	for (let index = 0; index < 5; index++) await press(rendered, 'backspace');
	await typeText(rendered, '8080');
	await waitForFrame(rendered, 'URLs: http://TESTHOST:8080/ReportServer');
	await press(rendered, 'tab', 'tab', 'tab', 'enter');
	await waitForFrame(rendered, '✔ Web Service URL applied: http://TESTHOST:8080/ReportServer');
	t.is(getUrlSettings(session, 'webService').tcpPort, 8080);
});

test.serial('Web Portal URL: a specific address field appears; a clash with the web service is refused at its field', async t => {
	const {session} = await joinedInstance(t);
	const rendered = await renderPage(t, session, 'web-portal-url');
	await waitForFrame(rendered, '[Reports');
	t.notRegex(frame(rendered), /Address:\s+\[/);
	await press(rendered, 'tab', 'tab', 'tab', 'tab', 'space');
	await waitForFrame(rendered, '(•) Specific address:');
	await press(rendered, 'tab');
	t.regex(frame(rendered), /›\s+Address:/);
	await typeText(rendered, '::1');
	await waitForFrame(rendered, 'URLs: http://[::1]:80/Reports');
	// Now the directory: ReportServer on port 80 is the web service's URL.
	await press(rendered, 'shiftTab', 'shiftTab', 'shiftTab', 'shiftTab', 'shiftTab');
	t.regex(frame(rendered), /›Virtual Directory:/);
	for (let index = 0; index < 7; index++) await press(rendered, 'backspace');
	await typeText(rendered, 'ReportServer');
	// Virtual directory → 4 options → address → tcp → https → certificate → Apply.
	await press(rendered, 'tab', 'tab', 'tab', 'tab', 'tab', 'tab', 'tab', 'tab', 'tab', 'enter');
	await waitForFrame(rendered, /Virtual Directory:.*\n.*✖ The Web Service URL already uses/);
	t.is(getUrlSettings(session, 'webPortal').virtualDirectory, 'Reports');
});
