import UrlSettingsForm from './UrlSettingsForm.tsx';
import type {PageProps} from '../../page-types.ts';

/** SSRS "Web Portal URL": the reservation the browser portal answers on (/Reports). */
export default function WebPortalUrlPage(props: PageProps) {
	return <UrlSettingsForm {...props} target="webPortal" />;
}
