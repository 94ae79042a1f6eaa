#include "store/store.h"

namespace lfr {

namespace {
// Finds the value among `values` whose name is text.
template <typename E, size_t N>
bool ParseByName(const std::string& text, const E (&values)[N], const char* (*name)(E), E* out) {
  for (E v : values) {
    if (text == name(v)) {
      *out = v;
      return true;
    }
  }
  return false;
}
}  // namespace

const char* DeploymentStatusName(DeploymentStatus s) {
  switch (s) {
    case DeploymentStatus::kPlanned: return "planned";
    case DeploymentStatus::kActive: return "active";
    case DeploymentStatus::kClosed: return "closed";
  }
  return "?";
}

bool ParseDeploymentStatus(const std::string& text, DeploymentStatus* s) {
  const DeploymentStatus all[] = {DeploymentStatus::kPlanned, DeploymentStatus::kActive, DeploymentStatus::kClosed};
  return ParseByName(text, all, DeploymentStatusName, s);
}

const char* AlertStateName(AlertState s) {
  switch (s) {
    case AlertState::kPending: return "pending";
    case AlertState::kConfirmedTrue: return "true";
    case AlertState::kConfirmedFalse: return "false";
    case AlertState::kNoAction: return "no_action";
  }
  return "?";
}

bool ParseAlertState(const std::string& text, AlertState* s) {
  const AlertState all[] = {AlertState::kPending, AlertState::kConfirmedTrue, AlertState::kConfirmedFalse,
                            AlertState::kNoAction};
  return ParseByName(text, all, AlertStateName, s);
}

const char* AlertOutcomeName(AlertOutcome o) {
  switch (o) {
    case AlertOutcome::kNone: return "none";
    case AlertOutcome::kEngaged: return "engaged";
    case AlertOutcome::kArrested: return "arrested";
    case AlertOutcome::kNoFurtherAction: return "nfa";
  }
  return "?";
}

bool ParseAlertOutcome(const std::string& text, AlertOutcome* o) {
  const AlertOutcome all[] = {AlertOutcome::kNone, AlertOutcome::kEngaged, AlertOutcome::kArrested,
                              AlertOutcome::kNoFurtherAction};
  return ParseByName(text, all, AlertOutcomeName, o);
}

Status ValidateAlertDecision(const AlertDecision& decision) {
  if (decision.state == AlertState::kPending) {
    return Status::InvalidArgument("a decision must be true, false or no_action, not pending");
  }
  if (decision.state != AlertState::kConfirmedTrue && decision.outcome != AlertOutcome::kNone) {
    return Status::InvalidArgument(std::string("outcome '") + AlertOutcomeName(decision.outcome) +
                                   "' contradicts state '" + AlertStateName(decision.state) +
                                   "': outcomes (engaged, arrested, nfa) record what officers did about the "
                                   "person on the watchlist, so they apply to true alerts only; a " +
                                   AlertStateName(decision.state) + " alert has outcome none");
  }
  return Status::Ok();
}

const char* RoleName(Role r) {
  switch (r) {
    case Role::kAdmin: return "admin";
    case Role::kSupervisor: return "supervisor";
    case Role::kOperator: return "operator";
    case Role::kAuditor: return "auditor";
    case Role::kInvestigator: return "investigator";
  }
  return "?";
}

bool ParseRole(const std::string& text, Role* r) {
  const Role all[] = {Role::kAdmin, Role::kSupervisor, Role::kOperator, Role::kAuditor, Role::kInvestigator};
  return ParseByName(text, all, RoleName, r);
}

}  // namespace lfr
