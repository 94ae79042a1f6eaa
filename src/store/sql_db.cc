#include "store/sql_db.h"

namespace lfr::sql {

Stmt& Stmt::Bind(int64_t v) {
  Value p;
  p.kind = Value::Kind::kInt;
  p.i = v;
  params_.push_back(std::move(p));
  return *this;
}

Stmt& Stmt::Bind(double v) {
  Value p;
  p.kind = Value::Kind::kReal;
  p.r = v;
  params_.push_back(std::move(p));
  return *this;
}

Stmt& Stmt::Bind(const std::string& v) {
  Value p;
  p.kind = Value::Kind::kText;
  p.bytes = v;
  params_.push_back(std::move(p));
  return *this;
}

Stmt& Stmt::BindBlob(std::span<const uint8_t> v) {
  if (v.empty()) return BindNull();
  Value p;
  p.kind = Value::Kind::kBlob;
  p.bytes.assign(reinterpret_cast<const char*>(v.data()), v.size());
  params_.push_back(std::move(p));
  return *this;
}

Stmt& Stmt::BindNull() {
  params_.push_back(Value{});
  return *this;
}

Status Stmt::Run() {
  while (true) {
    auto r = Step();
    if (!r.ok()) return r.status();
    if (!*r) return Status::Ok();
  }
}

Result<int64_t> Stmt::Insert() {
  auto row = Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Internal("INSERT ... RETURNING returned no row");
  const int64_t id = Int(0);
  LFR_RETURN_IF_ERROR(Run());
  return id;
}

Result<std::optional<int64_t>> Stmt::FirstInt() {
  auto row = Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<int64_t>();
  return std::optional<int64_t>(Int(0));
}

Status Txn::Begin() {
  LFR_RETURN_IF_ERROR(db_.Begin());
  active_ = true;
  return Status::Ok();
}

Status Txn::BeginRead() {
  LFR_RETURN_IF_ERROR(db_.BeginRead());
  active_ = true;
  return Status::Ok();
}

Status Txn::Commit() {
  LFR_RETURN_IF_ERROR(db_.Commit());
  active_ = false;
  return Status::Ok();
}

}  // namespace lfr::sql
