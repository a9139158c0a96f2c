import {chmod, mkdir, writeFile} from 'node:fs/promises';
import {createServer} from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {isRscmError} from '../../source/errors.ts';
import {
	applyUrlSettings,
	bindError,
	defaultUrlSettings,
	getUrlSettings,
	parseUrlSettings,
	resultingUrls,
	toUrlSettingsInput,
	allAssigned as allAssignedAddress,
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

/** A port another program listens on, for the length of the test. */
async function portInUse(t: ExecutionContext, host: string): Promise<number> {
	const server = createServer();
	await new Promise<void>(resolve => {
		server.listen({host, port: 0}, resolve);
	});
	t.teardown(() => server.close());
	return (server.address() as {port: number}).port;
}

test('apply checks that each port can be listened on, on its address: CANNOT_BIND at the field, nothing saved', async t => {
	const deployment = await newDeployment(t);
	const session = await deployment.open('a');
	const port = await portInUse(t, '127.0.0.1');

	const inUse = await t.throwsAsync(applyUrlSettings(session, 'webService', form({ipAddress: '127.0.0.1', tcpPort: String(port)})));
	t.true(isRscmError(inUse, 'CANNOT_BIND'), String(inUse));
	t.is((inUse as {field?: string}).field, 'tcpPort');
	t.is(inUse!.message, `Another program already listens on 127.0.0.1:${port}.`);
	// All Assigned covers 127.0.0.1: the same port is taken there too.
	t.is(((await t.throwsAsync(applyUrlSettings(session, 'webService', form({tcpPort: String(port)})))) as {field?: string}).field, 'tcpPort');
	// The HTTPS port is checked as well, at its own field.
	const directory = await tempDirectory(t);
	const certificate = path.join(directory, 'server.pem');
	await writeFile(certificate, '-----BEGIN CERTIFICATE-----\n');
	const https = await t.throwsAsync(applyUrlSettings(session, 'webService', form({ipAddress: '127.0.0.1', tcpPort: '8080', httpsPort: String(port), certificateFile: certificate})));
	t.true(isRscmError(https, 'CANNOT_BIND'));
	t.is((https as {field?: string}).field, 'httpsPort');

	// An address this machine does not have (TEST-NET-1, RFC 5737): at IP Address.
	const foreign = await t.throwsAsync(applyUrlSettings(session, 'webService', form({ipAddress: '192.0.2.1', tcpPort: '8080'})));
	t.true(isRscmError(foreign, 'CANNOT_BIND'), String(foreign));
	t.is((foreign as {field?: string}).field, 'ipAddress');
	t.regex(foreign!.message, /192\.0\.2\.1 is not an address of this machine/);
	t.deepEqual(getUrlSettings(session, 'webService'), service);
});

test('a port this instance already reserves is not tried: its own report server may be listening on it', async t => {
	const deployment = await newDeployment(t);
	const session = await deployment.open('a');
	const port = await portInUse(t, '127.0.0.1');
	await session.settings.set({webService: {...service, ipAddress: '127.0.0.1', tcpPort: port}});
	// Saved again with another directory: the port is the reservation's own.
	await applyUrlSettings(session, 'webService', form({virtualDirectory: 'RS', ipAddress: '127.0.0.1', tcpPort: String(port)}));
	t.is(getUrlSettings(session, 'webService').virtualDirectory, 'RS');
	// The portal on the same port and address, another directory: shared, as HTTP.sys shares it.
	await applyUrlSettings(session, 'webPortal', form({virtualDirectory: 'Reports', ipAddress: '127.0.0.1', tcpPort: String(port)}));
	t.is(getUrlSettings(session, 'webPortal').tcpPort, port);
});

test('a port below 1024 without the privilege is named as such (EACCES), with what to do', t => {
	const error = bindError('EACCES', allAssignedAddress, 80, 'tcpPort');
	t.is(error.code, 'CANNOT_BIND');
	t.is(error.field, 'tcpPort');
	t.is(error.message, 'This account may not listen on port 80 (All Assigned): ports below 1024 need privileges.');
	t.regex(error.hint ?? '', /1024/);
	t.is(bindError('EADDRINUSE', '::1', 8080, 'httpsPort').message, 'Another program already listens on [::1]:8080.');
});
