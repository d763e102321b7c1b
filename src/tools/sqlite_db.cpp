#include "tools/sqlite_db.hpp"

#include <sqlite3.h>

#include "vqclip/errors.hpp"

namespace vqclip {

SqliteDb::SqliteDb(const std::filesystem::path& file, Mode mode, int busy_timeout_ms) : file_(file) {
  const int flags = mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const int code = sqlite3_open_v2(file.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (code != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
    sqlite3_close(db_);
    db_ = nullptr;
    if (mode == Mode::kReadOnly) throw InputError(file.string() + ": cannot open (" + message + ")");
    throw OutputError(file.string() + ": cannot open (" + message + ")");
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
}

SqliteDb::~SqliteDb() { sqlite3_close(db_); }

void SqliteDb::fail(int code, const std::string& doing) const {
  const int primary = code & 0xff;
  const std::string message = file_.string() + ": " + doing + ": " + sqlite3_errmsg(db_);
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) throw InputError(message);
  throw OutputError(message);
}

void SqliteDb::exec(const std::string& sql) {
  char* error = nullptr;
  const int code = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  sqlite3_free(error);
  if (code != SQLITE_OK) fail(code, sql.substr(0, sql.find_first_of("(\n")));
}

int64_t SqliteDb::scalar(const std::string& sql) {
  SqliteStatement statement(*this, sql);
  return statement.step() ? statement.column_int(0) : 0;
}

SqliteStatement::SqliteStatement(SqliteDb& db, const std::string& sql) : db_(db), sql_(sql) {
  const int code = sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &statement_, nullptr);
  if (code != SQLITE_OK) db.fail(code, "preparing '" + sql + "'");
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(statement_); }

SqliteStatement& SqliteStatement::bind(int index, int64_t value) {
  const int code = sqlite3_bind_int64(statement_, index, value);
  if (code != SQLITE_OK) db_.fail(code, "binding");
  return *this;
}

SqliteStatement& SqliteStatement::bind(int index, const std::string& text) {
  const int code = sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (code != SQLITE_OK) db_.fail(code, "binding");
  return *this;
}

SqliteStatement& SqliteStatement::bind_blob(int index, const void* data, size_t bytes) {
  const int code = sqlite3_bind_blob64(statement_, index, data, bytes, SQLITE_TRANSIENT);
  if (code != SQLITE_OK) db_.fail(code, "binding");
  return *this;
}

bool SqliteStatement::step() {
  const int code = sqlite3_step(statement_);
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  db_.fail(code, sql_.substr(0, sql_.find_first_of("(\n")));
}

void SqliteStatement::run() {
  while (step()) {
  }
  reset();
}

void SqliteStatement::reset() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

int64_t SqliteStatement::column_int(int column) const { return sqlite3_column_int64(statement_, column); }

std::string SqliteStatement::column_text(int column) const {
  const auto* text = sqlite3_column_text(statement_, column);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(sqlite3_column_bytes(statement_, column)))
              : std::string();
}

std::pair<const void*, size_t> SqliteStatement::column_blob(int column) const {
  const void* data = sqlite3_column_blob(statement_, column);
  return {data, static_cast<size_t>(sqlite3_column_bytes(statement_, column))};
}

SqliteTransaction::SqliteTransaction(SqliteDb& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

SqliteTransaction::~SqliteTransaction() {
  if (open_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void SqliteTransaction::commit() {
  db_.exec("COMMIT");
  open_ = false;
}

}  // namespace vqclip
