export {
  type ClaimedCredit,
  claimCredit,
  dropTemplateCredits,
  markCreditDead,
  returnCreditUse,
} from './credit-claims.js';
export { listAttempts, recordAttemptOutcome, recordAttemptStart } from './message-attempts.js';
export {
  type FinalMessageStatus,
  findStrandedMessages,
  finishMessage,
  type LeasedMessage,
  releaseMessageLease,
  takeMessageLease,
} from './message-lease.js';
