/**
 * The numbers that define which backup format this rscm writes and reads (docs/FORMATS.md, "Backup file (.snk)").
 * The format version is decided here and nowhere else: the Version header, the header type and the payload's magic
 * all take it from this constant, so a version 2 changes one line and then fails to compile where it must be handled.
 */
export const backupFormatVersion = 1;
export type BackupFormatVersion = typeof backupFormatVersion;

/** Files larger than this are refused before they are read whole: a backup of even a long keyring is a few KiB. */
export const backupSizeCap = 64 * 1024;
/** Far more versions than a keyring ever holds (one per key change), and still below the size cap. */
export const maximumBackupKeys = 1024;
/** Every key version in a backup is a 256-bit key. */
export const keyLength = 32;
