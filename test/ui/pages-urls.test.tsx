import {createServer, type Server} from 'node:net';
import test, {type ExecutionContext} from 'ava';
import {getUrlSettings} from '../../source/core/url-settings.ts';
import {joinedInstance} from '../helpers/catalog-fixtures.ts';
import {frame, press} from '../helpers/ink.ts';
import {renderPage, typeText, waitForFrame, waitForPage} from '../helpers/page-harness.tsx';

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
	t.true(frame(rendered).includes('URLs: (fix TCP Port)'));
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

test.serial('the field at fault is named as the user types and its message shows on leaving it, before any Apply', async t => {
	const {session} = await joinedInstance(t);
	const rendered = await renderPage(t, session, 'web-service-url');
	await waitForFrame(rendered, '›Virtual Directory:');
	for (let index = 0; index < 'ReportServer'.length; index++) await press(rendered, 'backspace');
	await typeText(rendered, 'Report Server');
	// While typing: the URLs line says which field to fix; the message waits until the field is left.
	await waitForFrame(rendered, 'URLs: (fix Virtual Directory)');
	t.false(frame(rendered).includes('✖ Virtual Directory may use'));
	await press(rendered, 'tab');
	await waitForFrame(rendered, /Virtual Directory:.*\n.*✖ Virtual Directory may use letters/);
	// Still shown when the user comes back to it, until it is fixed.
	await press(rendered, 'shiftTab');
	t.regex(frame(rendered), /✖ Virtual Directory may use letters/);
	await press(rendered, 'backspace', 'backspace', 'backspace', 'backspace', 'backspace', 'backspace', 'backspace');
	await typeText(rendered, 'Server');
	await waitForFrame(rendered, 'URLs: http://TESTHOST:80/ReportServer');
	t.false(frame(rendered).includes('✖'));

	// A port that clashes with the portal's is shown at once at the field the core names, though the user is elsewhere.
	await press(rendered, 'tab', 'tab', 'tab', 'tab', 'tab', 'tab');
	t.regex(frame(rendered), /›HTTPS Port:/);
	await typeText(rendered, '80');
	await waitForFrame(rendered, 'URLs: (fix Certificate file)');
	await waitForFrame(rendered, /Certificate file:.*\n.*✖ An HTTPS port needs a certificate file/);
	t.is(getUrlSettings(session, 'webService').httpsPort, undefined);
});

async function listening(t: ExecutionContext): Promise<number> {
	const server: Server = createServer();
	await new Promise<void>(resolve => {
		server.listen({host: '127.0.0.1', port: 0}, resolve);
	});
	t.teardown(() => server.close());
	return (server.address() as {port: number}).port;
}

test.serial('Apply refuses a port another program listens on, at TCP Port, with CANNOT_BIND; nothing is saved', async t => {
	const {session} = await joinedInstance(t);
	const port = await listening(t);
	const rendered = await renderPage(t, session, 'web-service-url');
	await waitForFrame(rendered, '›Virtual Directory:');
	// Virtual directory, four address options (127.0.0.1 is the second), TCP Port.
	await press(rendered, 'tab', 'tab', 'space');
	await waitForFrame(rendered, '(•) 127.0.0.1');
	await press(rendered, 'tab', 'tab', 'tab');
	t.regex(frame(rendered), /›TCP Port:/);
	await press(rendered, 'backspace', 'backspace');
	await typeText(rendered, String(port));
	await waitForFrame(rendered, `URLs: http://127.0.0.1:${port}/ReportServer`);
	await press(rendered, 'tab', 'tab', 'tab', 'enter');
	await waitForPage(rendered, new RegExp(`TCP Port: \\[${port} \\] ✖ Another program already listens on 127\\.0\\.0\\.1:${port}\\.`));
	await waitForFrame(rendered, '[CANNOT_BIND]');
	t.is(getUrlSettings(session, 'webService').tcpPort, 80);
});
