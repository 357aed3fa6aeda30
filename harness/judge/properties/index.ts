/** One evaluator per property (SPEC §5), keyed by the property's report name. */
import type { PropertyName } from '../../report/types.ts';
import type { PropertyEvaluator } from '../context.ts';
import { authentication } from './authentication.ts';
import { confidentiality } from './confidentiality.ts';
import { detection } from './detection.ts';
import { forwardSecrecy } from './forward-secrecy.ts';
import { membership } from './membership.ts';
import { metadata } from './metadata.ts';
import { postCompromiseSecurity } from './post-compromise-security.ts';
import { replay } from './replay.ts';
import { senderAnonymity } from './sender-anonymity.ts';

export const evaluators: Record<PropertyName, PropertyEvaluator> = {
  confidentiality,
  'forward-secrecy': forwardSecrecy,
  'post-compromise-security': postCompromiseSecurity,
  authentication,
  replay,
  membership,
  detection,
  'sender-anonymity': senderAnonymity,
  metadata,
};
