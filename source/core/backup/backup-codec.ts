import {createCipheriv, createDecipheriv, randomBytes} from 'node:crypto';
import {RscmError} from '../../errors.ts';
import {fingerprintKey} from '../fingerprint.ts';
import {assertBackupPassword} from '../password-policy.ts';
import {armorHead, armorText, parseArmor, type ParsedArmor} from './armor.ts';
import {notABackup, wrongPassword} from './errors.ts';
import {headerFields, nonceLength, type BackupHeader} from './header.ts';
import {deriveKey, saltLength, scryptWrite} from './kdf.ts';
import {decodePayload, encodePayload, payloadLength, validateContents, type BackupContents} from './payload.ts';

/**
 * The password-protected key backup (`.snk`), specified in docs/FORMATS.md, "Backup file (.snk)": the armor
 * (armor.ts) around a clear header (header.ts) and an AES-256-GCM body holding the payload (payload.ts), under a key
 * derived from the password (kdf.ts). This module puts them together.
 *
 * Threats it answers: the file travels by copy and paste, mail and USB sticks, so it is text that survives a
 * terminal (CRLF and trailing spaces are tolerated, nothing else); anyone may edit it, so the whole header is the
 * GCM associated data and the body is authenticated; anyone may hand rscm a hostile file, so parsing is strict,
 * the size is capped before reading and the scrypt parameters are capped before the KDF runs (a file asking for
 * N = 2^30 would otherwise pin a CPU and gigabytes of memory); a wrong password and a modified file give the same
 * error, so the error tells an attacker nothing about which part failed.
 */

const tagLength = 16;

/**
 * Encrypts a keyring under a password. Enforces the backup password policy itself (WEAK_PASSWORD), so no front end
 * can write a backup under a password the policy refuses; the caller checks Confirm Password.
 */
export async function encodeBackup(contents: BackupContents, password: string): Promise<string> {
	assertBackupPassword(password);
	const valid = validateContents(contents);
	const primary = valid.keys.find(key => key.primary);
	if (primary === undefined) throw new RscmError('INVALID_INPUT', 'Exactly one key version must be primary.');

	const salt = randomBytes(saltLength);
	const nonce = randomBytes(nonceLength);
	const head = armorHead(
		headerFields({
			catalogId: valid.catalogId,
			createdAt: new Date(valid.created).toISOString(),
			keyCount: valid.keys.length,
			primaryFingerprint: fingerprintKey(primary.key),
			kdf: scryptWrite,
			salt,
			nonce,
		}),
	);

	const derived = await deriveKey(password, salt, scryptWrite);
	const payload = encodePayload(valid);
	try {
		const cipher = createCipheriv('aes-256-gcm', derived, nonce, {authTagLength: tagLength});
		cipher.setAAD(Buffer.from(head, 'ascii'));
		return armorText(head, Buffer.concat([cipher.update(payload), cipher.final(), cipher.getAuthTag()]));
	} finally {
		derived.fill(0);
		payload.fill(0);
	}
}

/** The armor, with the body's length checked against the Keys header: everything that fails before the KDF. */
function parseBackup(input: string | Uint8Array): ParsedArmor {
	const parsed = parseArmor(input);
	if (parsed.body.length !== payloadLength(parsed.header.keyCount) + tagLength) {
		throw notABackup('the body length does not match the Keys header (was it cut short?)');
	}

	return parsed;
}

/**
 * The clear header of a backup, for messages before the password is typed ("backup of catalog …, made on …,
 * primary key 3f2a-…"). Unauthenticated until decodeBackup succeeds: show it, never act on it.
 */
export function parseBackupHeader(text: string | Uint8Array): BackupHeader {
	return parseBackup(text).header;
}

/**
 * Opens a backup. Errors: BACKUP_TOO_LARGE, NOT_A_BACKUP, UNSUPPORTED_BACKUP_VERSION (all before the KDF runs),
 * WRONG_PASSWORD (after it). The returned key buffers belong to the caller, who zeroes them when done.
 */
export async function decodeBackup(text: string | Uint8Array, password: string): Promise<BackupContents> {
	const {header, associatedData, body} = parseBackup(text);
	const derived = await deriveKey(password, header.salt, header.kdf);
	const ciphertext = body.subarray(0, body.length - tagLength);
	const tag = body.subarray(body.length - tagLength);
	let payload: Buffer | undefined;
	try {
		const decipher = createDecipheriv('aes-256-gcm', derived, header.nonce, {authTagLength: tagLength});
		decipher.setAAD(associatedData);
		decipher.setAuthTag(tag);
		payload = decipher.update(ciphertext);
		try {
			decipher.final();
		} catch {
			throw wrongPassword();
		}

		return decodePayload(payload, header);
	} finally {
		derived.fill(0);
		// GCM hands out plaintext before the tag is checked: zero it whether or not the tag matched.
		payload?.fill(0);
	}
}
