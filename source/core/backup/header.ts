import {RscmError} from '../../errors.ts';
import {isKeyFingerprint} from '../fingerprint.ts';
import {notABackup} from './errors.ts';
import {backupFormatVersion, maximumBackupKeys, type BackupFormatVersion} from './format.ts';
import {checkScryptParameters, saltLength, type KdfParameters} from './kdf.ts';
import {uuidPattern} from './payload.ts';

/**
 * The clear header of a backup: eleven `Name: value` lines in a fixed order (docs/FORMATS.md). It is all GCM
 * associated data, so it is authenticated once the body decrypts; until then it is shown, never acted on.
 */
export type BackupHeader = {
	version: BackupFormatVersion;
	catalogId: string;
	createdAt: string;
	keyCount: number;
	primaryFingerprint: string;
	kdf: {name: 'scrypt'} & KdfParameters;
	salt: Buffer;
	nonce: Buffer;
};

const headerNames = ['Version', 'Catalog', 'Created', 'Keys', 'Primary', 'KDF', 'N', 'r', 'p', 'Salt', 'Nonce'] as const;
type HeaderName = (typeof headerNames)[number];
/** The header as text, one value per name; the associated data is rebuilt from it. */
export type HeaderFields = Record<HeaderName, string>;

export const nonceLength = 12;
const decimalPattern = /^(?:0|[1-9]\d{0,15})$/;

/** The header lines, in their order. */
export function headerLines(fields: HeaderFields): string[] {
	return headerNames.map(name => `${name}: ${fields[name]}`);
}

/** The fields of a header this rscm writes. */
export function headerFields(header: Omit<BackupHeader, 'version' | 'kdf'> & {kdf: KdfParameters}): HeaderFields {
	return {
		Version: String(backupFormatVersion),
		Catalog: header.catalogId,
		Created: header.createdAt,
		Keys: String(header.keyCount),
		Primary: header.primaryFingerprint,
		KDF: 'scrypt',
		N: String(header.kdf.N),
		r: String(header.kdf.r),
		p: String(header.kdf.p),
		Salt: header.salt.toString('base64'),
		Nonce: header.nonce.toString('base64'),
	};
}

function parseDecimal(value: string, name: string): number {
	if (!decimalPattern.test(value)) throw notABackup(`the ${name} header is not a number`);
	return Number(value);
}

function parseBase64(value: string, length: number, name: string): Buffer {
	const bytes = Buffer.from(value, 'base64');
	// Node's decoder skips garbage silently; re-encoding and comparing accepts only the one canonical spelling.
	if (bytes.length !== length || bytes.toString('base64') !== value) throw notABackup(`the ${name} header is not valid`);
	return bytes;
}

function parseHeaderFields(fields: Map<HeaderName, string>): BackupHeader {
	const get = (name: HeaderName): string => fields.get(name) ?? '';
	const catalogId = get('Catalog');
	if (!uuidPattern.test(catalogId)) throw notABackup('the Catalog header is not a lowercase UUID');
	const createdAt = get('Created');
	const created = Date.parse(createdAt);
	if (!Number.isFinite(created) || created < 0 || new Date(created).toISOString() !== createdAt) {
		throw notABackup('the Created header is not an ISO 8601 UTC time');
	}

	const keyCount = parseDecimal(get('Keys'), 'Keys');
	if (keyCount < 1 || keyCount > maximumBackupKeys) throw notABackup('the Keys header is out of range');
	const primaryFingerprint = get('Primary');
	if (!isKeyFingerprint(primaryFingerprint)) throw notABackup('the Primary header is not a key fingerprint');
	if (get('KDF') !== 'scrypt') throw notABackup('the KDF header names an unknown key derivation');
	const kdf = {N: parseDecimal(get('N'), 'N'), r: parseDecimal(get('r'), 'r'), p: parseDecimal(get('p'), 'p')};
	// Refused before the KDF runs: these are the numbers an attacker controls to make rscm burn CPU and memory.
	checkScryptParameters(kdf);
	const salt = parseBase64(get('Salt'), saltLength, 'Salt');
	const nonce = parseBase64(get('Nonce'), nonceLength, 'Nonce');
	return {version: backupFormatVersion, catalogId, createdAt, keyCount, primaryFingerprint, kdf: {name: 'scrypt', ...kdf}, salt, nonce};
}

/**
 * Reads the header from `lines[start]` on, up to and including the blank line that ends it, and returns the index
 * of the line after. Strict: every name once, in order, nothing else.
 */
export function parseHeader(lines: readonly string[], start: number): {header: BackupHeader; fields: HeaderFields; next: number} {
	let index = start;
	// Version comes first and is judged on its own, so a future format with other header lines is reported as
	// "newer version", not as garbage.
	const versionMatch = /^Version: (.*)$/.exec(lines[index] ?? '');
	if (!versionMatch) throw notABackup('the Version header is missing');
	const version = parseDecimal(versionMatch[1] ?? '', 'Version');
	if (version !== backupFormatVersion) {
		throw new RscmError(
			'UNSUPPORTED_BACKUP_VERSION',
			`The backup uses format version ${version}; this rscm reads version ${backupFormatVersion}.`,
			{hint: 'Open it with a newer rscm.'},
		);
	}

	const fields = new Map<HeaderName, string>();
	for (const name of headerNames) {
		const line = lines[index] ?? '';
		if (line === '') throw notABackup(`the ${name} header is missing`);
		const match = /^([^:]*): (.+)$/.exec(line);
		if (!match) throw notABackup('a header line is malformed');
		const [, found = '', value = ''] = match;
		if (found !== name) {
			if (fields.has(found as HeaderName)) throw notABackup(`the ${found} header appears twice`);
			if ((headerNames as readonly string[]).includes(found)) throw notABackup(`the ${name} header is missing or out of order`);
			throw notABackup('it has an unknown header line');
		}

		fields.set(name, value);
		index++;
	}

	if (lines[index] !== '') {
		const extra = /^([^:]*):/.exec(lines[index] ?? '')?.[1];
		throw notABackup(extra !== undefined && fields.has(extra as HeaderName) ? `the ${extra} header appears twice` : 'a blank line must follow the header');
	}

	return {header: parseHeaderFields(fields), fields: Object.fromEntries(fields) as HeaderFields, next: index + 1};
}
