import {RscmError} from '../core/errors.ts';

// Replaced by the Configuration Manager as the pages land (issue 3).
export async function startConfigurationManager(_argv: string[]): Promise<number> {
	throw new RscmError('NOT_A_TERMINAL', 'The Configuration Manager is not available yet; use the commands (rscm --help).');
}
