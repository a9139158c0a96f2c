import UrlSettingsForm from './UrlSettingsForm.tsx';
import type {PageProps} from '../../page-types.ts';

/** SSRS "Web Service URL": the reservation the report server's SOAP/REST endpoint answers on (/ReportServer). */
export default function WebServiceUrlPage(props: PageProps) {
	return <UrlSettingsForm {...props} target="webService" />;
}
