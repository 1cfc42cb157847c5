#include "daemon/store/transactions.h"

namespace flare::daemon {
namespace {
thread_local KeyToConfirm* t_key_to_confirm = nullptr;
}  // namespace

KeyToConfirm* KeyToConfirmOfThisThread() { return t_key_to_confirm; }

void SetKeyToConfirmOfThisThread(KeyToConfirm* key) { t_key_to_confirm = key; }

}  // namespace flare::daemon
