#pragma once
// A small RAII layer over SQLite's C API for the search index: a connection,
// prepared statements, and transactions that roll back unless committed.
// Every failure throws an Error naming the database file: InputError when the
// file is not a database (or is damaged), OutputError otherwise.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace vqclip {

class SqliteDb {
 public:
  enum class Mode { kReadOnly, kReadWriteCreate };

  // Waits up to `busy_timeout_ms` for another process's write lock.
  SqliteDb(const std::filesystem::path& file, Mode mode, int busy_timeout_ms);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void exec(const std::string& sql);
  int64_t scalar(const std::string& sql);  // the first column of the first row (0 when none)
  const std::filesystem::path& file() const { return file_; }
  sqlite3* handle() { return db_; }
  [[noreturn]] void fail(int code, const std::string& doing) const;

 private:
  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
};

class SqliteStatement {
 public:
  SqliteStatement(SqliteDb& db, const std::string& sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  SqliteStatement& bind(int index, int64_t value);
  SqliteStatement& bind(int index, const std::string& text);
  SqliteStatement& bind_blob(int index, const void* data, size_t bytes);
  // Steps once: true while there is a row to read.
  bool step();
  // Steps to the end of a statement that returns no rows, then resets it for reuse.
  void run();
  void reset();

  int64_t column_int(int column) const;
  std::string column_text(int column) const;
  // The blob's bytes; empty for NULL or an empty blob.
  std::pair<const void*, size_t> column_blob(int column) const;

 private:
  SqliteDb& db_;
  sqlite3_stmt* statement_ = nullptr;
  std::string sql_;
};

// BEGIN IMMEDIATE (the write lock is taken at once, so two writers never
// deadlock upgrading a read lock); rolled back on destruction unless committed.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDb& db);
  ~SqliteTransaction();
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  void commit();

 private:
  SqliteDb& db_;
  bool open_ = true;
};

}  // namespace vqclip
