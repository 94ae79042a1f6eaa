#include "store/store.h"

namespace lfr {

const char* DeploymentStatusName(DeploymentStatus s) {
  switch (s) {
    case DeploymentStatus::kPlanned: return "planned";
    case DeploymentStatus::kActive: return "active";
    case DeploymentStatus::kClosed: return "closed";
  }
  return "?";
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
  for (AlertState v : {AlertState::kPending, AlertState::kConfirmedTrue, AlertState::kConfirmedFalse,
                       AlertState::kNoAction}) {
    if (text == AlertStateName(v)) {
      *s = v;
      return true;
    }
  }
  return false;
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
  for (AlertOutcome v : {AlertOutcome::kNone, AlertOutcome::kEngaged, AlertOutcome::kArrested,
                         AlertOutcome::kNoFurtherAction}) {
    if (text == AlertOutcomeName(v)) {
      *o = v;
      return true;
    }
  }
  return false;
}

const char* RoleName(Role r) {
  switch (r) {
    case Role::kAdmin: return "admin";
    case Role::kSupervisor: return "supervisor";
    case Role::kOperator: return "operator";
    case Role::kAuditor: return "auditor";
  }
  return "?";
}

bool ParseRole(const std::string& text, Role* r) {
  for (Role v : {Role::kAdmin, Role::kSupervisor, Role::kOperator, Role::kAuditor}) {
    if (text == RoleName(v)) {
      *r = v;
      return true;
    }
  }
  return false;
}

}  // namespace lfr
