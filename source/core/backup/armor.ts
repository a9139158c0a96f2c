import {notABackup, backupTooLarge} from './errors.ts';
import {backupSizeCap} from './format.ts';
import {headerLines, parseHeader, type BackupHeader, type HeaderFields} from './header.ts';

/**
 * The text armor around a backup: the BEGIN line, the header, a blank line, the body in base64 at 64 columns, the
 * END line (docs/FORMATS.md). The file travels by copy and paste, mail and USB sticks, so it is text that survives
 * a terminal.
 */
const beginLine = '-----BEGIN RSCM ENCRYPTION KEY BACKUP-----';
const endLine = '-----END RSCM ENCRYPTION KEY BACKUP-----';
const bodyColumns = 64;

export type ParsedArmor = {header: BackupHeader; associatedData: Buffer; body: Buffer};

/** The BEGIN line and the header: the text the body's GCM tag authenticates, and how the file starts. */
export function armorHead(fields: HeaderFields): string {
	return [beginLine, ...headerLines(fields)].join('\n') + '\n';
}

/** The whole file: the head, a blank line, the body wrapped at 64 columns, the END line. */
export function armorText(head: string, body: Buffer): string {
	const text = body.toString('base64');
	const lines: string[] = [];
	for (let index = 0; index < text.length; index += bodyColumns) lines.push(text.slice(index, index + bodyColumns));
	return `${head}\n${lines.join('\n')}\n${endLine}\n`;
}

function toText(input: string | Uint8Array): string {
	if (input.length > backupSizeCap) throw backupTooLarge('The file', backupSizeCap);
	if (typeof input === 'string') return input;
	try {
		return new TextDecoder('utf-8', {fatal: true}).decode(input);
	} catch {
		throw notABackup('it is not text');
	}
}

/** Drops trailing spaces, tabs and CR. A loop, not /[\t\r ]+$/: that regex is quadratic on a long run of spaces. */
function trimLineEnd(line: string): string {
	let end = line.length;
	while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t' || line[end - 1] === '\r')) end--;
	return end === line.length ? line : line.slice(0, end);
}

/**
 * Strict reading of the armor. The only liberties taken are the ones terminals and mail clients take: CRLF line
 * ends, trailing spaces and tabs, blank lines around the block, a leading byte-order mark. Everything else must be
 * exactly as written, and the associated data is rebuilt from the parsed fields, so a tolerated difference can
 * never change what is authenticated.
 */
export function parseArmor(input: string | Uint8Array): ParsedArmor {
	let text = toText(input);
	if (text.startsWith('\uFEFF')) text = text.slice(1);
	if (!/^[\t\n\r\x20-\x7e]*$/.test(text)) throw notABackup('it contains characters a backup never holds');
	const lines = text.split('\n').map(line => trimLineEnd(line));

	let index = 0;
	while (index < lines.length && lines[index] === '') index++;
	if (index >= lines.length) throw notABackup('it is empty');
	if (lines[index] !== beginLine) throw notABackup(`it does not start with ${beginLine}`);
	const {header, fields, next} = parseHeader(lines, index + 1);
	index = next;

	const bodyLines: string[] = [];
	while (index < lines.length && lines[index] !== endLine) {
		bodyLines.push(lines[index] ?? '');
		index++;
	}

	if (index >= lines.length) throw notABackup(`it does not end with ${endLine} (was it cut short?)`);
	if (lines.slice(index + 1).some(line => line !== '')) throw notABackup(`there is text after ${endLine}`);
	if (bodyLines.length === 0) throw notABackup('the body is empty');
	for (const [lineIndex, line] of bodyLines.entries()) {
		const last = lineIndex === bodyLines.length - 1;
		if (last ? line.length === 0 || line.length > bodyColumns : line.length !== bodyColumns) {
			throw notABackup(`body line ${lineIndex + 1} has the wrong length (was the file cut or re-wrapped?)`);
		}
	}

	const base64 = bodyLines.join('');
	if (!/^[A-Za-z\d+/]*={0,2}$/.test(base64)) throw notABackup('the body is not base64');
	const body = Buffer.from(base64, 'base64');
	if (body.toString('base64') !== base64) throw notABackup('the body is not canonical base64');
	return {header, associatedData: Buffer.from(armorHead(fields), 'ascii'), body};
}
