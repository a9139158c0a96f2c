import {chmod, mkdir, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {isRscmError} from '../../source/core/errors.ts';
import {
	applyUrlSettings,
	defaultUrlSettings,
	getUrlSettings,
	parseUrlSettings,
	resultingUrls,
	toUrlSettingsInput,
	type UrlSettingsInput,
} from '../../source/core/url-settings.ts';
import {openLocalSettings} from '../../source/instance/local-settings.ts';
import {newDeployment, tempDirectory} from '../helpers/catalog-fixtures.ts';

const portal = defaultUrlSettings('webPortal');
const service = defaultUrlSettings('webService');
const form = (patch: Partial<UrlSettingsInput> = {}): UrlSettingsInput => ({...toUrlSettingsInput(service), ...patch});

function fieldOf(t: ExecutionContext, run: () => unknown): string | undefined {
	const error = t.throws(run);
	t.true(isRscmError(error, 'INVALID_INPUT'), String(error));
	return (error as {field?: string}).field;
}

test('the SSRS defaults are valid together: port 80 shared by /ReportServer and /Reports', t => {
	t.deepEqual(parseUrlSettings(form(), portal, 'webPortal'), service);
	t.deepEqual(resultingUrls(service, 'SRV01'), ['http://SRV01:80/ReportServer']);
});

test('each invalid field is named', t => {
	t.is(fieldOf(t, () => parseUrlSettings(form({virtualDirectory: 'Report Server'}), portal, 'webPortal')), 'virtualDirectory');
	t.is(fieldOf(t, () => parseUrlSettings(form({virtualDirectory: ''}), portal, 'webPortal')), 'virtualDirectory');
	t.is(fieldOf(t, () => parseUrlSettings(form({virtualDirectory: '../x'}), portal, 'webPortal')), 'virtualDirectory');
	t.is(fieldOf(t, () => parseUrlSettings(form({ipAddress: '300.1.1.1'}), portal, 'webPortal')), 'ipAddress');
	t.is(fieldOf(t, () => parseUrlSettings(form({tcpPort: '0'}), portal, 'webPortal')), 'tcpPort');
	t.is(fieldOf(t, () => parseUrlSettings(form({tcpPort: '65536'}), portal, 'webPortal')), 'tcpPort');
	t.is(fieldOf(t, () => parseUrlSettings(form({tcpPort: '8o'}), portal, 'webPortal')), 'tcpPort');
	t.is(fieldOf(t, () => parseUrlSettings(form({httpsPort: '443'}), portal, 'webPortal')), 'certificateFile');
	t.is(fieldOf(t, () => parseUrlSettings(form({certificateFile: '/etc/cert.pem'}), portal, 'webPortal')), 'httpsPort');
	t.is(fieldOf(t, () => parseUrlSettings(form({httpsPort: '80', certificateFile: '/c.pem'}), portal, 'webPortal')), 'httpsPort');
});

test('port clashes with the other reservation on an overlapping address are refused', t => {
	const portalHttps = {...portal, httpsPort: 443, certificateFile: '/c.pem'};
	// HTTP on the port the portal serves HTTPS on.
	t.is(fieldOf(t, () => parseUrlSettings(form({tcpPort: '443'}), portalHttps, 'webPortal')), 'tcpPort');
	// HTTPS on the portal's HTTP port.
	t.is(fieldOf(t, () => parseUrlSettings(form({httpsPort: '80', tcpPort: '8080', certificateFile: '/c.pem'}), portal, 'webPortal')), 'httpsPort');
	// The same URL twice (case-insensitive directory).
	t.is(fieldOf(t, () => parseUrlSettings(form({virtualDirectory: 'reports'}), portal, 'webPortal')), 'virtualDirectory');
	// Different specific addresses do not overlap: no clash.
	const onLoopback = {...portalHttps, ipAddress: '127.0.0.1'};
	t.is(parseUrlSettings(form({ipAddress: '10.0.0.5', tcpPort: '443'}), onLoopback, 'webPortal').tcpPort, 443);
	// All Assigned overlaps every address.
	t.is(fieldOf(t, () => parseUrlSettings(form({tcpPort: '443'}), onLoopback, 'webPortal')), 'tcpPort');
});

test('resulting URLs: host per address, IPv6 in brackets, https when set', t => {
	const settings = parseUrlSettings(form({ipAddress: '[::1]', tcpPort: '8080', httpsPort: '8443', certificateFile: '/c.pem'}), portal, 'webPortal');
	t.is(settings.ipAddress, '::1');
	t.deepEqual(resultingUrls(settings, 'SRV01'), ['http://[::1]:8080/ReportServer', 'https://[::1]:8443/ReportServer']);
	t.deepEqual(resultingUrls({...service, ipAddress: '127.0.0.1'}), ['http://127.0.0.1:80/ReportServer']);
	t.is(parseUrlSettings(form({ipAddress: 'all assigned'}), portal, 'webPortal').ipAddress, 'All Assigned');
});

test('apply saves in the local settings and checks the certificate file on disk', async t => {
	const deployment = await newDeployment(t);
	const session = await deployment.open('a');
	const directory = await tempDirectory(t);
	const certificate = path.join(directory, 'server.pem');

	const missing = await t.throwsAsync(applyUrlSettings(session, 'webService', form({httpsPort: '443', certificateFile: certificate})));
	t.is((missing as {field?: string}).field, 'certificateFile');
	t.regex(missing!.message, /does not exist/);

	await mkdir(path.join(directory, 'dir'));
	const notFile = await t.throwsAsync(applyUrlSettings(session, 'webService', form({httpsPort: '443', certificateFile: path.join(directory, 'dir')})));
	t.is((notFile as {field?: string}).field, 'certificateFile');

	await writeFile(certificate, '-----BEGIN CERTIFICATE-----\n');
	if (os.userInfo().uid !== 0) {
		await chmod(certificate, 0o000);
		const unreadable = await t.throwsAsync(applyUrlSettings(session, 'webService', form({httpsPort: '443', certificateFile: certificate})));
		t.regex(unreadable!.message, /not readable/);
		await chmod(certificate, 0o600);
	}

	await applyUrlSettings(session, 'webService', form({tcpPort: '8080', httpsPort: '8443', certificateFile: certificate}));
	t.deepEqual(getUrlSettings(session, 'webService'), {...service, tcpPort: 8080, httpsPort: 8443, certificateFile: certificate});
	// Read back from the file, as the next start would.
	t.is(openLocalSettings(session.instanceDirectory).get('webService').tcpPort, 8080);

	// The portal is checked against what the web service now uses.
	const clash = await t.throwsAsync(applyUrlSettings(session, 'webPortal', form({virtualDirectory: 'Reports', tcpPort: '8443'})));
	t.is((clash as {field?: string}).field, 'tcpPort');
	// Clearing HTTPS leaves no undefined behind.
	await applyUrlSettings(session, 'webService', form({tcpPort: '8080'}));
	t.is(getUrlSettings(session, 'webService').httpsPort, undefined);
	t.is(getUrlSettings(session, 'webService').certificateFile, undefined);
});
