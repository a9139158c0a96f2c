import {constants} from 'node:fs';
import {access, stat} from 'node:fs/promises';
import {createServer, isIP} from 'node:net';
import path from 'node:path';
import {defaultWebPortalUrl, defaultWebServiceUrl, type UrlSettings} from '../instance/local-settings.ts';
import {expandHome} from '../files/home-path.ts';
import {RscmError} from '../errors.ts';
import {machineName, type Session} from './session.ts';

/**
 * The two URL reservations of a report server (SSRS Configuration Manager: Web Service URL and Web Portal URL).
 * SSRS keeps them per machine in rsreportserver.config; rscm keeps them in the instance's local settings. Both
 * default to port 80 on All Assigned with different virtual directories, as SSRS installs them: HTTP.sys shares a
 * port between URL reservations that differ in their path.
 */
export type UrlTarget = 'webService' | 'webPortal';

export const urlTargetLabels: Record<UrlTarget, string> = {webService: 'Web Service URL', webPortal: 'Web Portal URL'};

export const allAssigned = 'All Assigned';

/** The IP address choices SSRS offers before "a specific address". */
export const standardIpAddresses = [allAssigned, '127.0.0.1', '::1'] as const;

/** What a form holds: ports as typed, empty for "none". */
export type UrlSettingsInput = {
	virtualDirectory: string;
	ipAddress: string;
	tcpPort: string;
	httpsPort: string;
	certificateFile: string;
};

export type UrlSettingsField = keyof UrlSettingsInput;

/** What each field is called on the page, in messages that name the field at fault. */
export const urlFieldLabels: Record<UrlSettingsField, string> = {
	virtualDirectory: 'Virtual Directory',
	ipAddress: 'IP Address',
	tcpPort: 'TCP Port',
	httpsPort: 'HTTPS Port',
	certificateFile: 'Certificate file',
};

export function defaultUrlSettings(target: UrlTarget): UrlSettings {
	return target === 'webService' ? defaultWebServiceUrl : defaultWebPortalUrl;
}

export function getUrlSettings(session: Session, target: UrlTarget): UrlSettings {
	return session.settings.get(target);
}

export function toUrlSettingsInput(settings: UrlSettings): UrlSettingsInput {
	return {
		virtualDirectory: settings.virtualDirectory,
		ipAddress: settings.ipAddress,
		tcpPort: String(settings.tcpPort),
		httpsPort: settings.httpsPort === undefined ? '' : String(settings.httpsPort),
		certificateFile: settings.certificateFile ?? '',
	};
}

function invalid(field: UrlSettingsField, message: string): RscmError {
	return new RscmError('INVALID_INPUT', message, {field});
}

// HTTP.sys URL reservations take a path segment; SSRS accepts letters, digits, underscore, hyphen and dot.
const virtualDirectoryPattern = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;

function parsePort(value: string, field: 'tcpPort' | 'httpsPort', label: string): number {
	const text = value.trim();
	if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65_535) {
		throw invalid(field, `${label} must be a number from 1 to 65535.`);
	}

	return Number(text);
}

function normalizeIpAddress(value: string): string {
	const text = value.trim();
	if (text.toLowerCase() === allAssigned.toLowerCase()) return allAssigned;
	// [::1] as typed in a URL is the address ::1.
	const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
	if (isIP(bare) === 0) throw invalid('ipAddress', 'IP Address must be All Assigned or an IPv4 or IPv6 address.');
	return bare.toLowerCase();
}

/** Whether two reservations can receive the same connection: All Assigned overlaps every address. */
function sameAddressSpace(a: string, b: string): boolean {
	return a === allAssigned || b === allAssigned || a === b;
}

/**
 * Checks the form of one URL reservation against the other one and returns the settings to save. Errors carry the
 * field at fault. A port clash is what HTTP.sys would refuse on the same address: one port serving HTTP in one
 * reservation and HTTPS in the other (or in the same one), or the same scheme, port and virtual directory twice
 * (the two URLs would be identical). Sharing port 80 with different virtual directories is the SSRS default and is
 * fine. The certificate file is checked separately (`checkCertificateFile`): that needs the file system.
 */
export function parseUrlSettings(input: UrlSettingsInput, other: UrlSettings, otherTarget: UrlTarget): UrlSettings {
	const virtualDirectory = input.virtualDirectory.trim();
	if (!virtualDirectoryPattern.test(virtualDirectory)) {
		throw invalid('virtualDirectory', 'Virtual Directory may use letters, digits, _ - and . (at most 64, not starting with a dot).');
	}

	const ipAddress = normalizeIpAddress(input.ipAddress);
	const tcpPort = parsePort(input.tcpPort, 'tcpPort', 'TCP Port');
	const httpsPort = input.httpsPort.trim() === '' ? undefined : parsePort(input.httpsPort, 'httpsPort', 'HTTPS Port');
	const certificateFile = input.certificateFile.trim() === '' ? undefined : input.certificateFile.trim();
	if (httpsPort !== undefined && certificateFile === undefined) {
		throw invalid('certificateFile', 'An HTTPS port needs a certificate file (PEM).');
	}

	if (httpsPort === undefined && certificateFile !== undefined) {
		throw invalid('httpsPort', 'Give the HTTPS port the certificate is for, or clear the certificate file.');
	}

	if (httpsPort === tcpPort) throw invalid('httpsPort', 'HTTPS Port must differ from TCP Port.');

	const otherLabel = urlTargetLabels[otherTarget];
	if (sameAddressSpace(ipAddress, other.ipAddress)) {
		if (tcpPort === other.httpsPort) throw invalid('tcpPort', `Port ${tcpPort} is the HTTPS port of the ${otherLabel}.`);
		if (httpsPort !== undefined && httpsPort === other.tcpPort) {
			throw invalid('httpsPort', `Port ${httpsPort} is the HTTP port of the ${otherLabel}.`);
		}

		const sameDirectory = virtualDirectory.toLowerCase() === other.virtualDirectory.toLowerCase();
		if (sameDirectory && tcpPort === other.tcpPort) {
			throw invalid('virtualDirectory', `The ${otherLabel} already uses /${other.virtualDirectory} on port ${tcpPort}.`);
		}

		if (sameDirectory && httpsPort !== undefined && httpsPort === other.httpsPort) {
			throw invalid('virtualDirectory', `The ${otherLabel} already uses /${other.virtualDirectory} on HTTPS port ${httpsPort}.`);
		}
	}

	return {virtualDirectory, ipAddress, tcpPort, httpsPort, certificateFile};
}

/** The certificate must be a regular file this account can read: the report server loads it at start. */
export async function checkCertificateFile(file: string | undefined): Promise<string | undefined> {
	if (file === undefined) return undefined;
	const resolved = path.resolve(expandHome(file));
	let info;
	try {
		info = await stat(resolved);
	} catch {
		throw invalid('certificateFile', `The certificate file ${resolved} does not exist.`);
	}

	if (!info.isFile()) throw invalid('certificateFile', `${resolved} is not a file.`);
	try {
		await access(resolved, constants.R_OK);
	} catch {
		throw invalid('certificateFile', `The certificate file ${resolved} is not readable by this account.`);
	}

	return resolved;
}

function hostFor(ipAddress: string, machine: string): string {
	if (ipAddress === allAssigned) return machine;
	return isIP(ipAddress) === 6 ? `[${ipAddress}]` : ipAddress;
}

/** The URLs the reservation answers on, as the SSRS page lists them under "URLs". */
export function resultingUrls(settings: UrlSettings, machine = machineName()): string[] {
	const host = hostFor(settings.ipAddress, machine);
	const urls = [`http://${host}:${settings.tcpPort}/${settings.virtualDirectory}`];
	if (settings.httpsPort !== undefined) urls.push(`https://${host}:${settings.httpsPort}/${settings.virtualDirectory}`);
	return urls;
}

/** Why a port cannot be listened on, in the terms of the field at fault (CANNOT_BIND). */
export function bindError(code: string | undefined, ipAddress: string, port: number, field: 'tcpPort' | 'httpsPort'): RscmError {
	const where = ipAddress === allAssigned ? `port ${port} (All Assigned)` : `${hostFor(ipAddress, '')}:${port}`;
	switch (code) {
		case 'EADDRINUSE': {
			return new RscmError('CANNOT_BIND', `Another program already listens on ${where}.`, {
				field,
				hint: 'Choose another port, or stop that program (`ss -ltnp` shows which one).',
			});
		}

		case 'EACCES': {
			return new RscmError('CANNOT_BIND', `This account may not listen on ${where}: ports below 1024 need privileges.`, {
				field,
				hint: 'Choose a port from 1024 up, or let the report server bind it (setcap cap_net_bind_service, or the sysctl net.ipv4.ip_unprivileged_port_start).',
			});
		}

		case 'EADDRNOTAVAIL': {
			return new RscmError('CANNOT_BIND', `${ipAddress} is not an address of this machine.`, {
				field: 'ipAddress',
				hint: 'Choose All Assigned, or an address that `ip -brief address` lists.',
			});
		}

		default: {
			return new RscmError('CANNOT_BIND', `Cannot listen on ${where} (${code ?? 'unknown error'}).`, {field: 'ipAddress'});
		}
	}
}

/** Listens on the address and port for a moment, as the report server will; the error code when it cannot. */
async function listenBriefly(ipAddress: string, port: number): Promise<string | undefined> {
	return new Promise(resolve => {
		const server = createServer();
		server.once('error', (error: NodeJS.ErrnoException) => {
			resolve(error.code);
		});
		// No host for All Assigned: every address, IPv6 and IPv4, as HTTP.sys's + reservation.
		server.listen({host: ipAddress === allAssigned ? undefined : ipAddress, port, exclusive: true}, () => {
			server.close(() => {
				resolve(undefined);
			});
		});
	});
}

/**
 * SSRS checks that its URL reservations can be made; rscm checks that each port can be listened on, on its address,
 * by this account. A port this instance's reservations already hold on an overlapping address is not tried: the
 * report server itself may be listening on it.
 */
export async function checkCanListen(settings: UrlSettings, reserved: readonly UrlSettings[]): Promise<void> {
	const ports = [['tcpPort', settings.tcpPort], ['httpsPort', settings.httpsPort]] as const;
	for (const [field, port] of ports) {
		if (port === undefined) continue;
		const ours = reserved.some(other => sameAddressSpace(settings.ipAddress, other.ipAddress) && (other.tcpPort === port || other.httpsPort === port));
		if (ours) continue;
		const code = await listenBriefly(settings.ipAddress, port);
		if (code !== undefined) throw bindError(code, settings.ipAddress, port, field);
	}
}

/**
 * Validates the form against the other reservation, the file system and this machine's addresses and ports, then
 * saves it in the local settings.
 */
export async function applyUrlSettings(session: Session, target: UrlTarget, input: UrlSettingsInput): Promise<UrlSettings> {
	const otherTarget: UrlTarget = target === 'webService' ? 'webPortal' : 'webService';
	const parsed = parseUrlSettings(input, session.settings.get(otherTarget), otherTarget);
	const settings = {...parsed, certificateFile: await checkCertificateFile(parsed.certificateFile)};
	await checkCanListen(settings, [session.settings.get(target), session.settings.get(otherTarget)]);
	// The settings file is JSON: an unset HTTPS port is left out rather than written as undefined.
	const stored = Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined)) as UrlSettings;
	await session.settings.set({[target]: stored});
	return settings;
}

/** The machine name the URLs are shown with: the one this instance registered with, as `rscm status` shows it. */
export function urlMachineName(session: Session): string {
	return session.settings.get('machine') ?? machineName();
}
