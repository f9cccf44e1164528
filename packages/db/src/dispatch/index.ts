export {
  type ClaimedCredit,
  claimCredit,
  dropTemplateCredits,
  markCreditDead,
  returnCreditUse,
} from './credit-claims.js';
export { hadUnknownAttempt, recordAttemptOutcome, recordAttemptStart } from './message-attempts.js';
export {
  type FinalMessageStatus,
  findStrandedMessages,
  finishMessage,
  type LeasedMessage,
  releaseMessageLease,
  takeMessageLease,
} from './message-lease.js';
