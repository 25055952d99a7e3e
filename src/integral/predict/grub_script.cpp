#include "integral/predict/grub_script.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "integral/util/error.h"

namespace integral {

namespace {

// A word as written: literal text and variable references, each quoted or not.
struct Part {
  bool var = false;
  bool quoted = false;  // inside "" or '' (no field splitting)
  std::string text;     // the literal, or the variable's name
};
struct Word {
  std::vector<Part> parts;
  bool block = false;  // a { ... } block: `text` of its one part is the source, braces included
};
struct Token {
  enum class Kind { kWord, kSep } kind = Kind::kWord;
  Word word;
  int line = 0;
  bool first = false;  // the first word of a command (where keywords are recognized)
  std::string keyword() const {
    if (kind != Kind::kWord || !first || word.block || word.parts.size() != 1 ||
        word.parts[0].var || word.parts[0].quoted)
      return {};
    return word.parts[0].text;
  }
};

bool is_keyword(const std::string& w) {
  static const char* const kWords[] = {"if",  "then",     "elif",  "else", "fi",
                                       "for", "while",    "until", "do",   "done",
                                       "in",  "function", "case",  "esac", "select"};
  return std::any_of(std::begin(kWords), std::end(kWords), [&](const char* k) { return w == k; });
}

class Lexer {
 public:
  Lexer(std::string_view text, const std::string& name, int first_line = 1)
      : s_(text), name_(name), line_(first_line) {}

  std::vector<Token> tokens() {
    std::vector<Token> out;
    bool first = true;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '\\' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\n') {  // line continuation
        pos_ += 2;
        ++line_;
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
        continue;
      }
      if (c == '#' && first) {  // a comment runs to the end of the line
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
        continue;
      }
      if (c == '\n' || c == ';') {
        out.push_back({Token::Kind::kSep, {}, line_, false});
        if (c == '\n') ++line_;
        ++pos_;
        first = true;
        continue;
      }
      Token t{Token::Kind::kWord, {}, line_, first};
      if (c == '{' && !first && word_ends(pos_ + 1)) {
        t.word = block();
      } else {
        t.word = word();
      }
      out.push_back(std::move(t));
      first = is_keyword(out.back().keyword()) && out.back().keyword() != "fi";
    }
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw_bad_input(fmt::format("{}:{}: {}", name_, line_, what));
  }
  bool word_ends(size_t at) const {
    return at >= s_.size() || s_[at] == ' ' || s_[at] == '\t' || s_[at] == '\n' || s_[at] == '\r';
  }

  // A { ... } block: its source up to the matching brace (quotes and escapes respected).
  Word block() {
    const size_t start = pos_;
    int depth = 0;
    char quote = 0;
    for (; pos_ < s_.size(); ++pos_) {
      char c = s_[pos_];
      if (c == '\n') ++line_;
      if (quote) {
        if (c == quote)
          quote = 0;
        else if (c == '\\' && quote == '"')
          ++pos_;
        continue;
      }
      if (c == '\\') {
        ++pos_;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '{') {
        ++depth;
      } else if (c == '}' && --depth == 0) {
        ++pos_;
        Word w;
        w.block = true;
        w.parts.push_back({false, true, std::string(s_.substr(start, pos_ - start))});
        return w;
      }
    }
    fail("a '{' block has no closing '}'");
  }

  void literal(Word& w, char c, bool quoted) {
    if (w.parts.empty() || w.parts.back().var || w.parts.back().quoted != quoted)
      w.parts.push_back({false, quoted, {}});
    w.parts.back().text += c;
  }

  // $name, ${name}, $?, $1: the name; the cursor is on '$'.
  void variable(Word& w, bool quoted) {
    ++pos_;
    std::string name;
    if (pos_ < s_.size() && s_[pos_] == '{') {
      auto end = s_.find('}', pos_);
      if (end == std::string_view::npos) fail("'${' has no closing '}'");
      name = std::string(s_.substr(pos_ + 1, end - pos_ - 1));
      pos_ = end + 1;
    } else if (pos_ < s_.size() &&
               (s_[pos_] == '?' || std::isdigit(static_cast<unsigned char>(s_[pos_])))) {
      name = std::string(1, s_[pos_++]);
    } else {
      while (pos_ < s_.size() &&
             (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
        name += s_[pos_++];
      if (name.empty()) {  // a lone '$' is literal
        literal(w, '$', quoted);
        return;
      }
    }
    w.parts.push_back({true, quoted, name});
  }

  Word word() {
    Word w;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';') break;
      if (c == '\\') {
        if (pos_ + 1 >= s_.size()) fail("a '\\' ends the file");
        if (s_[pos_ + 1] == '\n') {
          pos_ += 2;
          ++line_;
          continue;
        }
        literal(w, s_[pos_ + 1], true);
        pos_ += 2;
      } else if (c == '\'') {
        auto end = s_.find('\'', pos_ + 1);
        if (end == std::string_view::npos) fail("a quote (') is not closed");
        if (w.parts.empty() || w.parts.back().var || !w.parts.back().quoted)
          w.parts.push_back({false, true, {}});
        for (size_t i = pos_ + 1; i < end; ++i) {
          if (s_[i] == '\n') ++line_;
        }
        w.parts.back().text += s_.substr(pos_ + 1, end - pos_ - 1);
        pos_ = end + 1;
      } else if (c == '"') {
        ++pos_;
        if (w.parts.empty()) w.parts.push_back({false, true, {}});  // "" is an empty word
        while (true) {
          if (pos_ >= s_.size()) fail("a quote (\") is not closed");
          char d = s_[pos_];
          if (d == '"') {
            ++pos_;
            break;
          }
          if (d == '\\' && pos_ + 1 < s_.size() &&
              (s_[pos_ + 1] == '"' || s_[pos_ + 1] == '\\' || s_[pos_ + 1] == '$')) {
            literal(w, s_[pos_ + 1], true);
            pos_ += 2;
          } else if (d == '$') {
            variable(w, true);
          } else {
            if (d == '\n') ++line_;
            literal(w, d, true);
            ++pos_;
          }
        }
      } else if (c == '$') {
        variable(w, false);
      } else {
        literal(w, c, false);
        ++pos_;
      }
    }
    return w;
  }

  std::string_view s_;
  const std::string& name_;
  size_t pos_ = 0;
  int line_;
};

// The parsed script.
struct Node;
using List = std::vector<Node>;
struct Node {
  std::vector<Word> words;  // a simple command
  int line = 0;
  // an if: (condition, body) pairs for if and each elif, then the else body
  std::vector<std::pair<List, List>> branches;
  std::unique_ptr<List> otherwise;
  bool is_if = false;
  // a function definition: its name and the block's source without braces
  std::optional<std::pair<std::string, std::string>> function;
};

class Parser {
 public:
  Parser(std::vector<Token> t, const std::string& name) : t_(std::move(t)), name_(name) {}

  List script() {
    List l = list({});
    if (i_ < t_.size()) fail(t_[i_].line, fmt::format("'{}' without its 'if'", t_[i_].keyword()));
    return l;
  }

 private:
  [[noreturn]] void fail(int line, const std::string& what) const {
    throw_bad_input(fmt::format("{}:{}: {}", name_, line, what));
  }
  int line() const { return i_ < t_.size() ? t_[i_].line : (t_.empty() ? 1 : t_.back().line); }

  List list(std::initializer_list<std::string_view> ends) {
    List out;
    while (true) {
      while (i_ < t_.size() && t_[i_].kind == Token::Kind::kSep) ++i_;
      if (i_ >= t_.size()) {
        if (ends.size() > 0) fail(line(), fmt::format("missing '{}'", *(ends.end() - 1)));
        return out;
      }
      const std::string k = t_[i_].keyword();
      if (!k.empty() && std::find(ends.begin(), ends.end(), k) != ends.end()) return out;
      if (k == "if") {
        out.push_back(if_node());
      } else if (k == "function") {
        out.push_back(function_node());
      } else if (is_keyword(k)) {
        if (k == "then" || k == "elif" || k == "else" || k == "fi")
          fail(t_[i_].line, fmt::format("'{}' without its 'if'", k));
        fail(t_[i_].line, fmt::format("'{}' (loops, functions) is not modelled", k));
      } else {
        Node n;
        n.line = t_[i_].line;
        while (i_ < t_.size() && t_[i_].kind == Token::Kind::kWord)
          n.words.push_back(t_[i_++].word);
        out.push_back(std::move(n));
      }
    }
  }

  // function NAME { ... }
  Node function_node() {
    Node n;
    n.line = t_[i_].line;
    ++i_;
    const bool named = i_ < t_.size() && t_[i_].kind == Token::Kind::kWord && !t_[i_].word.block &&
                       t_[i_].word.parts.size() == 1 && !t_[i_].word.parts[0].var;
    if (!named || i_ + 1 >= t_.size() || !t_[i_ + 1].word.block)
      fail(n.line, "'function' needs a name and a { ... } block");
    const std::string& b = t_[i_ + 1].word.parts[0].text;
    n.function.emplace(t_[i_].word.parts[0].text, b.substr(1, b.size() - 2));
    i_ += 2;
    return n;
  }

  void expect(const char* k) {
    if (i_ >= t_.size() || t_[i_].keyword() != k) fail(line(), fmt::format("missing '{}'", k));
    ++i_;
  }

  Node if_node() {
    Node n;
    n.is_if = true;
    n.line = t_[i_].line;
    ++i_;  // if
    while (true) {
      List cond = list({"then"});
      expect("then");
      List body = list({"elif", "else", "fi"});
      n.branches.emplace_back(std::move(cond), std::move(body));
      if (t_[i_].keyword() == "elif") {
        ++i_;
        continue;
      }
      break;
    }
    if (t_[i_].keyword() == "else") {
      ++i_;
      n.otherwise = std::make_unique<List>(list({"fi"}));
    }
    expect("fi");
    return n;
  }

  std::vector<Token> t_;
  const std::string& name_;
  size_t i_ = 0;
};

struct MenuEntry {
  std::string title;
  std::vector<std::string> positional;
  std::string id;
  std::string body;  // the block's source without its braces
  std::string source_name;
  int line = 0;
  bool submenu = false;
  bool setparams = true;  // entries of the menuentry command; blscfg's have no setparams line
};

constexpr int kMaxDepth = 16;

class Interp {
 public:
  struct Function {
    std::string body;
    std::string source_name;
    int line = 0;
  };

  Interp(std::map<std::string, std::string> vars, const GrubWorld& world)
      : vars_(std::move(vars)), world_(world) {}

  // Runs `text`; its last command's status. `first_line`: the line `text` starts on in its
  // file (a block's body).
  int run_source(std::string_view text, const std::string& name, bool measured_commands,
                 int first_line = 1) {
    if (++depth_ > kMaxDepth) throw_bad_input(fmt::format("{}: scripts nest too deep", name));
    const bool saved = measure_;
    measure_ = measured_commands;
    Parser p(Lexer(text, name, first_line).tokens(), name);
    const List l = p.script();
    const std::string saved_name = name_;
    name_ = name;
    const int status = exec(l);
    name_ = saved_name;
    measure_ = saved;
    --depth_;
    return status;
  }

  // The default entry, when the scripts ended without booting.
  void run_default_entry(const std::string& name) {
    if (booted_ || entries_.empty()) return;
    const std::string def = vars_.count("default") ? vars_["default"] : "0";
    const std::string timeout = vars_.count("timeout") ? vars_["timeout"] : "";
    if (timeout == "-1")
      throw_bad_input(
          fmt::format("{}: timeout=-1: GRUB waits at its menu; no entry is booted "
                      "without a key press",
                      name));
    const MenuEntry* e = nullptr;
    if (!def.empty() &&
        std::all_of(def.begin(), def.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      size_t n = std::stoul(def.substr(0, 6));
      if (n < entries_.size()) e = &entries_[n];
    } else {
      for (const auto& x : entries_)
        if (x.title == def || (!x.id.empty() && x.id == def)) e = &x;
    }
    // GRUB falls back to the first entry when $default is empty or names none (a number out of
    // range, an unknown title or id).
    if (!e) e = &entries_[0];
    if (e->submenu)
      throw_bad_input(fmt::format("{}:{}: the default entry is a submenu: not modelled",
                                  e->source_name, e->line));
    const MenuEntry entry = *e;
    run_.booted = entry.title;
    measure_ = true;
    name_ = entry.source_name;
    line_ = entry.line;
    if (entry.setparams) {
      std::string setparams = "setparams";
      for (const auto& a : entry.positional) setparams += " " + a;
      command(setparams);
      for (size_t i = 0; i < entry.positional.size() && i < 9; ++i)
        vars_[std::to_string(i + 1)] = entry.positional[i];
    }
    run_source(entry.body,
               fmt::format("{}:{} (menu entry '{}')", entry.source_name, entry.line, entry.title),
               true);
  }

  GrubRun take() { return std::move(run_); }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw_bad_input(fmt::format("{}:{}: {}", name_, line_, what));
  }
  std::string where() const { return fmt::format("{}:{}", name_, line_); }

  void command(const std::string& text) {
    if (measure_) run_.steps.push_back({GrubStep::Kind::kCommand, text, {}, {}, where()});
  }

  int exec(const List& l) {
    int status = 0;
    for (const auto& n : l) {
      if (booted_) break;
      if (n.function) {
        functions_[n.function->first] = {n.function->second, name_, n.line};
        continue;
      }
      status = n.is_if ? exec_if(n) : exec_command(n);
      vars_["?"] = std::to_string(status);
    }
    return status;
  }

  int exec_if(const Node& n) {
    for (const auto& [cond, body] : n.branches) {
      if (exec(cond) == 0) return exec(body);
      if (booted_) return 0;
    }
    return n.otherwise ? exec(*n.otherwise) : 0;
  }

  std::vector<std::string> expand(const Word& w) const {
    if (w.block) return {w.parts[0].text};
    std::vector<std::string> fields;
    std::string cur;
    bool content = false;
    for (const auto& p : w.parts) {
      if (!p.var) {
        cur += p.text;
        content = true;
        continue;
      }
      auto it = vars_.find(p.text);
      const std::string v = it == vars_.end() ? "" : it->second;
      if (p.quoted) {
        cur += v;
        content = true;
        continue;
      }
      // unquoted: split into fields at blanks
      size_t i = 0;
      bool first = true;
      while (i <= v.size()) {
        size_t j = v.find_first_of(" \t\n", i);
        std::string piece = v.substr(i, j == std::string::npos ? std::string::npos : j - i);
        if (!first && (content || !cur.empty())) {
          fields.push_back(cur);
          cur.clear();
          content = false;
        }
        if (!piece.empty()) {
          cur += piece;
          content = true;
        }
        first = false;
        if (j == std::string::npos) break;
        i = j + 1;
        while (i < v.size() && (v[i] == ' ' || v[i] == '\t' || v[i] == '\n')) ++i;
      }
    }
    if (content || !cur.empty()) fields.push_back(cur);
    return fields;
  }

  // "(hd0,gpt1)/a/b" or "/a/b" (on $root); the device alone when the path is "(dev)".
  std::pair<std::string, std::string> locate(const std::string& path) const {
    if (!path.empty() && path[0] == '(') {
      auto close = path.find(')');
      if (close == std::string::npos) fail(fmt::format("'{}': no ')' after the device", path));
      return {path.substr(1, close - 1), path.substr(close + 1)};
    }
    auto it = vars_.find("root");
    return {it == vars_.end() ? "" : it->second, path};
  }
  std::optional<GrubFile> file(const std::string& path) const {
    auto [dev, p] = locate(path);
    if (p.empty()) return std::nullopt;
    return world_.file(dev, p);
  }
  bool exists(const std::string& path, char kind) const {
    auto [dev, p] = locate(path);
    if (p.empty() || p == "/") {
      bool known =
          std::find(world_.devices.begin(), world_.devices.end(), dev) != world_.devices.end();
      return known && kind != 'f';
    }
    if (kind != 'd' && world_.file(dev, p)) return true;
    return kind != 'f' && world_.directory(dev, p);
  }

  // GRUB's test: -o binds loosest, then -a, then !, then the primaries.
  bool test(const std::vector<std::string>& a, size_t& i, int level) {
    if (level == 0) {
      bool v = test(a, i, 1);
      while (i < a.size() && a[i] == "-o") {
        ++i;
        bool w = test(a, i, 1);
        v = v || w;
      }
      return v;
    }
    if (level == 1) {
      bool v = test(a, i, 2);
      while (i < a.size() && a[i] == "-a") {
        ++i;
        bool w = test(a, i, 2);
        v = v && w;
      }
      return v;
    }
    if (i < a.size() && a[i] == "!") {
      ++i;
      return !test(a, i, 2);
    }
    if (i >= a.size()) fail("test: an expression is missing");
    const std::string& x = a[i];
    if (i + 1 < a.size() && x.size() == 2 && x[0] == '-' &&
        std::string_view("zneafdsh").find(x[1]) != std::string_view::npos) {
      const std::string& arg = a[i + 1];
      i += 2;
      switch (x[1]) {
        case 'z':
          return arg.empty();
        case 'n':
          return !arg.empty();
        case 'e':
          return exists(arg, 'e');
        case 'f':
          return exists(arg, 'f');
        case 'd':
          return exists(arg, 'd');
        case 's': {  // GRUB opens the file for its size: measured (PCR 9), as any file read
          auto f = file(arg);
          if (f) run_.steps.push_back({GrubStep::Kind::kFile, arg, f->bytes, f->artifact, where()});
          return f && !f->bytes.empty();
        }
        default:
          fail(fmt::format("test: '{}' is not modelled", x));
      }
    }
    if (i + 2 < a.size()) {
      const std::string& op = a[i + 1];
      if (op == "=" || op == "==" || op == "!=") {
        bool eq = a[i] == a[i + 2];
        i += 3;
        return op == "!=" ? !eq : eq;
      }
      if (op == "-eq" || op == "-ne" || op == "-lt" || op == "-gt" || op == "-le" || op == "-ge")
        fail(fmt::format("test: '{}' (numbers) is not modelled", op));
    }
    ++i;
    return !x.empty();
  }

  int exec_command(const Node& n) {
    line_ = n.line;
    std::vector<std::string> args;
    for (const auto& w : n.words)
      for (auto& f : expand(w)) args.push_back(std::move(f));
    if (args.empty()) return 0;
    std::string joined = args[0];
    for (size_t i = 1; i < args.size(); ++i) joined += " " + args[i];
    const std::string& cmd = args[0];
    if (cmd == "normal" && !measure_) return normal(args);
    command(joined);
    // NAME=VALUE: an assignment, measured as written
    if (auto eq = cmd.find('=');
        eq != std::string::npos && eq > 0 && args.size() == 1 &&
        std::all_of(cmd.begin(), cmd.begin() + static_cast<ptrdiff_t>(eq), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
        })) {
      vars_[cmd.substr(0, eq)] = cmd.substr(eq + 1);
      return 0;
    }
    if (auto fn = functions_.find(cmd); fn != functions_.end()) return call(fn->second, args);
    if (cmd == "load_env") return load_env(args);
    if (cmd == "loadfont") return loadfont(args);
    if (cmd == "set") {
      for (size_t i = 1; i < args.size(); ++i) {
        auto eq = args[i].find('=');
        if (eq != std::string::npos) vars_[args[i].substr(0, eq)] = args[i].substr(eq + 1);
      }
      return 0;
    }
    if (cmd == "unset") {
      for (size_t i = 1; i < args.size(); ++i) vars_.erase(args[i]);
      return 0;
    }
    if (cmd == "true") return 0;
    if (cmd == "false") return 1;
    if (cmd == "[" || cmd == "test") {
      std::vector<std::string> a(args.begin() + 1, args.end());
      if (cmd == "[") {
        if (a.empty() || a.back() != "]") fail("'[' without its ']'");
        a.pop_back();
      }
      if (a.empty()) return 1;
      size_t i = 0;
      bool v = test(a, i, 0);
      if (i != a.size()) fail(fmt::format("test: '{}' is not modelled here", a[i]));
      return v ? 0 : 1;
    }
    if (cmd == "search" || cmd.rfind("search.", 0) == 0) return search(args);
    if (cmd == "source" || cmd == "." || cmd == "configfile") {
      if (args.size() != 2) fail(fmt::format("{} takes one file", cmd));
      if (cmd == "configfile") entries_.clear();
      auto f = file(args[1]);
      if (!f) fail(fmt::format("{}: '{}' is not on the boot device", cmd, args[1]));
      run_.steps.push_back({GrubStep::Kind::kFile, args[1], f->bytes, f->artifact, where()});
      run_config(args[1], *f);
      return 0;
    }
    if (cmd == "menuentry" || cmd == "submenu") return menuentry(args, cmd == "submenu");
    if (cmd == "linux" || cmd == "linuxefi") {
      if (args.size() < 2) fail(fmt::format("{}: no kernel", cmd));
      auto f = file(args[1]);
      if (!f) fail(fmt::format("{}: '{}' is not on the boot device", cmd, args[1]));
      run_.steps.push_back({GrubStep::Kind::kKernel, args[1], f->bytes, f->artifact, where()});
      run_.steps.push_back(
          {GrubStep::Kind::kKernelCmdline, joined.substr(joined.find(' ') + 1), {}, {}, where()});
      return 0;
    }
    if (cmd == "initrd" || cmd == "initrdefi") {
      for (size_t i = 1; i < args.size(); ++i) {
        if (args[i].rfind("--", 0) == 0)
          fail(fmt::format("initrd: option '{}' is not modelled", args[i]));
        auto f = file(args[i]);
        if (!f) fail(fmt::format("initrd: '{}' is not on the boot device", args[i]));
        run_.steps.push_back({GrubStep::Kind::kInitrd, args[i], f->bytes, f->artifact, where()});
      }
      return 0;
    }
    if (cmd == "blscfg" || cmd == "bls_import") return blscfg(cmd);
    if (cmd == "boot") {
      booted_ = true;
      return 0;
    }
    static const char* const kReadsFiles[] = {"background_image",
                                              "chainloader",
                                              "multiboot",
                                              "multiboot2",
                                              "module",
                                              "module2",
                                              "devicetree",
                                              "acpi",
                                              "xen_hypervisor",
                                              "xen_module",
                                              "cat",

                                              "hashsum",
                                              "sha256sum",
                                              "md5sum",
                                              "loopback",
                                              "play",

                                              "theme",
                                              "normal",
                                              "legacy_configfile"};
    for (const char* r : kReadsFiles)
      if (cmd == r)
        fail(fmt::format("'{}' reads files or changes the boot in ways not modelled", cmd));
    return 0;  // measured, no effect on what the TPM sees next
  }

  // search --file NAME [--set[=VAR]] (and search.file NAME [VAR]): the first device holding
  // NAME; VAR (default root) names it.
  int search(const std::vector<std::string>& args) {
    std::string var = "root", name;
    char by = args[0] == "search.file"       ? 'f'
              : args[0] == "search.fs_uuid"  ? 'u'
              : args[0] == "search.fs_label" ? 'l'
                                             : 0;
    bool set = by != 0;
    std::vector<std::string> rest;
    for (size_t i = 1; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a == "--file" || a == "-f") {
        by = 'f';
      } else if (a == "--fs-uuid" || a == "-u") {
        by = 'u';
      } else if (a == "--label" || a == "-l") {
        by = 'l';
      } else if (a == "--set" || a == "-s") {
        set = true;
      } else if (a.rfind("--set=", 0) == 0) {
        set = true;
        var = a.substr(6);
      } else if (a == "--no-floppy" || a == "-n" || a.rfind("--hint", 0) == 0) {
      } else if (a.rfind("-", 0) == 0) {
        fail(fmt::format("search: '{}' is not modelled", a));
      } else {
        rest.push_back(a);
      }
    }
    if (!by) fail("search: say what to search by (--file, --fs-uuid or --label)");
    if (rest.empty()) fail("search: nothing to search for");
    name = rest[0];
    if (args[0].rfind("search.", 0) == 0 && rest.size() > 1) var = rest[1];
    auto same = [](const std::string& a, const std::string& b) {  // GRUB compares these
      return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
             });
    };
    for (const auto& dev : world_.devices) {
      bool hit = false;
      if (by == 'f') {
        hit = world_.file(dev, name).has_value();
      } else {
        const auto& known = by == 'u' ? world_.fs_uuids : world_.fs_labels;
        auto it = known.find(dev);
        if (it == known.end())
          fail(fmt::format("search: the {} of {} is not known (the stage's {})",
                           by == 'u' ? "file system UUID" : "label", dev,
                           by == 'u' ? "fs_uuid" : "fs_label"));
        hit = by == 'u' ? same(it->second, name) : it->second == name;
      }
      if (hit) {
        if (set) vars_[var] = dev;
        return 0;
      }
    }
    return 1;
  }

  int menuentry(const std::vector<std::string>& args, bool submenu) {
    MenuEntry e;
    e.submenu = submenu;
    e.source_name = name_;
    e.line = line_;
    if (args.size() < 2 || args.back().size() < 2 || args.back().front() != '{')
      fail(fmt::format("{} without a {{ ... }} block", args[0]));
    for (size_t i = 1; i + 1 < args.size(); ++i) {
      const std::string& a = args[i];
      if (a == "--class" || a == "--users" || a == "--hotkey" || a == "--id") {
        if (i + 2 >= args.size()) fail(fmt::format("{}: {} needs a value", args[0], a));
        if (a == "--id") e.id = args[i + 1];
        ++i;
      } else if (a.rfind("--id=", 0) == 0) {
        e.id = a.substr(5);
      } else if (a == "--unrestricted" || a.rfind("--class=", 0) == 0 ||
                 a.rfind("--users=", 0) == 0 || a.rfind("--hotkey=", 0) == 0) {
      } else if (a.rfind("--", 0) == 0) {
        fail(fmt::format("{}: option '{}' is not modelled", args[0], a));
      } else {
        e.positional.push_back(a);
      }
    }
    if (e.positional.empty()) fail(fmt::format("{} without a title", args[0]));
    e.title = e.positional[0];
    const std::string& b = args.back();
    e.body = b.substr(1, b.size() - 2);
    entries_.push_back(std::move(e));
    return 0;
  }

  // A function call: its body with $1... set to the arguments (restored afterwards).
  int call(const Function& fn, const std::vector<std::string>& args) {
    std::vector<std::string> positional;
    for (size_t i = 1; i <= 9; ++i) positional.push_back(std::to_string(i));
    const SavedVars saved = save_vars(positional);
    for (size_t i = 1; i <= 9; ++i) {
      if (i < args.size())
        vars_[positional[i - 1]] = args[i];
      else
        vars_.erase(positional[i - 1]);
    }
    const int saved_line = line_;
    const int status = run_source(fn.body, fn.source_name, measure_, fn.line);
    line_ = saved_line;
    restore_vars(saved);
    return status;
  }

  // Variables a scope sets and restores afterwards (unset ones stay unset).
  using SavedVars = std::map<std::string, std::optional<std::string>>;
  SavedVars save_vars(const std::vector<std::string>& names) const {
    SavedVars saved;
    for (const auto& k : names) {
      auto it = vars_.find(k);
      saved[k] = it == vars_.end() ? std::nullopt : std::optional<std::string>(it->second);
    }
    return saved;
  }
  void restore_vars(const SavedVars& saved) {
    for (const auto& [k, v] : saved) {
      if (v)
        vars_[k] = *v;
      else
        vars_.erase(k);
    }
  }

  // load_env [-f FILE] [NAME...]: variables from the environment block ($prefix/grubenv),
  // which GRUB measures like any file it reads (PCR 9, named as opened: seen in the reference
  // boot).
  int load_env(const std::vector<std::string>& args) {
    std::string path = vars_.count("prefix") ? vars_["prefix"] + "/grubenv" : "";
    std::vector<std::string> only;
    for (size_t i = 1; i < args.size(); ++i) {
      if ((args[i] == "-f" || args[i] == "--file") && i + 1 < args.size())
        path = args[++i];
      else if (args[i] == "-s" || args[i] == "--skip-sig")
        continue;
      else
        only.push_back(args[i]);
    }
    auto f = file(path);
    if (!f) return 1;
    run_.steps.push_back({GrubStep::Kind::kFile, path, f->bytes, f->artifact, where()});
    std::string_view text(reinterpret_cast<const char*>(f->bytes.data()), f->bytes.size());
    if (text.rfind("# GRUB Environment Block\n", 0) != 0) return 1;
    while (!text.empty()) {
      auto nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
      auto eq = line.find('=');
      if (line.empty() || line[0] == '#' || eq == std::string_view::npos) continue;
      std::string k(line.substr(0, eq));
      if (!only.empty() && std::find(only.begin(), only.end(), k) == only.end()) continue;
      std::string v;  // the block escapes '\\' and newlines with a backslash
      for (size_t i = eq + 1; i < line.size(); ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) ++i;
        v += line[i];
      }
      vars_[k] = v;
    }
    return 0;
  }

  // loadfont FILE|NAME: a font file on a device is read (measured); a bare name is looked up
  // in $prefix/fonts/NAME.pf2, then in the image's memdisk, whose files GRUB reads unmeasured
  // (the reference boot loaded Debian's unicode font from there with no PCR 9 event).
  int loadfont(const std::vector<std::string>& args) {
    int status = 0;
    for (size_t i = 1; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a.find('/') != std::string::npos) {
        auto f = file(a);
        if (!f) {
          status = 1;
          continue;
        }
        run_.steps.push_back({GrubStep::Kind::kFile, a, f->bytes, f->artifact, where()});
        continue;
      }
      const std::string on_device =
          (vars_.count("prefix") ? vars_["prefix"] : std::string()) + "/fonts/" + a + ".pf2";
      if (auto f = file(on_device)) {
        run_.steps.push_back({GrubStep::Kind::kFile, on_device, f->bytes, f->artifact, where()});
      } else if (!world_.file("memdisk", "/fonts/" + a + ".pf2")) {
        status = 1;
      }
    }
    return status;
  }

  int normal(const std::vector<std::string>& args) {
    if (args.size() != 2) fail("normal: one configuration file is modelled");
    auto f = file(args[1]);
    if (!f) fail(fmt::format("normal: '{}' is not in the image or on the boot device", args[1]));
    run_config(args[1], *f);
    return 0;
  }

  // A configuration file run by normal, source or configfile: GRUB's normal mode names it in
  // $config_file and its folder in $config_directory while it runs (Red Hat's grub.cfg finds
  // its grubenv and custom.cfg through them).
  void run_config(const std::string& named, const GrubFile& f) {
    const SavedVars saved = save_vars({"config_file", "config_directory"});
    // A path without a device is named on $root.
    const std::string full =
        !named.empty() && named[0] == '(' ? named : "(" + vars_["root"] + ")" + named;
    vars_["config_file"] = full;
    const auto slash = full.rfind('/');
    vars_["config_directory"] = slash == std::string::npos ? "" : full.substr(0, slash);
    run_source(std::string_view(reinterpret_cast<const char*>(f.bytes.data()), f.bytes.size()),
               f.artifact, true);
    restore_vars(saved);
  }

  // Red Hat's blscfg (GRUB 2.02 of RHEL 8): every *.conf snippet in $blsdir (default
  // /loader/entries/, then /boot/loader/entries/ when that holds none) on $root becomes a menu
  // entry, newest version first, whose id is the file's name without .conf and whose body is
  // generated text: load_video, set gfx_payload=keep, insmod gzio, "linux ($root)<linux>
  // <options>" with the options' $variables expanded now, and "initrd" with " ($root)<path>"
  // per initrd. The entry runs without a setparams line (seen in a real RHEL 8 log).
  int blscfg(const std::string& cmd) {
    if (!world_.blscfg)
      fail(fmt::format("'{}' is Red Hat's command; this GRUB has none (the grub stage's dialect)",
                       cmd));
    const std::string dev = vars_.count("root") ? vars_["root"] : "";
    struct Snippet {
      std::string name;  // file name without .conf
      std::vector<std::pair<std::string, std::string>> keys;
      std::optional<std::string> get(const std::string& k) const {
        for (const auto& [key, v] : keys)
          if (key == k) return v;
        return std::nullopt;
      }
    };
    std::vector<Snippet> found;
    const std::string blsdir = vars_.count("blsdir") ? vars_["blsdir"] : "/loader/entries/";
    for (const std::string& dir : {blsdir, std::string("/boot/loader/entries/")}) {
      if (!found.empty() || !world_.list) break;
      for (const std::string& n : world_.list(dev, dir)) {
        if (n.empty() || n[0] == '.' || n.size() <= 5 || n.compare(n.size() - 5, 5, ".conf") != 0)
          continue;
        std::string path = dir;
        if (path.empty() || path.back() != '/') path += '/';
        auto f = world_.file(dev, path + n);
        if (!f || f->bytes.size() > (1u << 20)) continue;
        Snippet sn;
        sn.name = n.substr(0, n.size() - 5);
        sn.keys = bls_keys(
            std::string_view(reinterpret_cast<const char*>(f->bytes.data()), f->bytes.size()));
        found.push_back(std::move(sn));
      }
    }
    // Sorted oldest first by version (when every snippet has one), then by file name; created
    // from the end, so the menu lists the newest first.
    bool use_version = std::all_of(found.begin(), found.end(),
                                   [](const Snippet& x) { return x.get("version").has_value(); });
    std::sort(found.begin(), found.end(), [&](const Snippet& a, const Snippet& b) {
      if (use_version) {
        const int r = rpm_vercmp(*a.get("version"), *b.get("version"));
        if (r != 0) return r < 0;
      }
      return rpm_vercmp(a.name, b.name) < 0;
    });
    for (auto it = found.rbegin(); it != found.rend(); ++it) {
      const auto linux = it->get("linux");
      if (!linux) continue;  // GRUB skips a snippet without one
      MenuEntry e;
      e.source_name = fmt::format("(blscfg) {}.conf", it->name);
      e.line = 1;
      e.setparams = false;
      e.title = it->get("title").value_or(*linux);
      e.positional = {e.title};
      e.id = it->name;
      std::optional<std::string> options;
      if (auto o = it->get("options")) options = bls_expand(*o);
      std::string body = "load_video\nset gfx_payload=keep\ninsmod gzio\nlinux ($root)" + *linux;
      if (options) body += " " + *options;
      body += "\ninitrd ";  // GRUB writes the line even with no initrd key
      for (const auto& [k, v] : it->keys)
        if (k == "initrd") body += " ($root)" + v;
      body += "\n";
      e.body = std::move(body);
      entries_.push_back(std::move(e));
    }
    return 0;
  }

  // A snippet's "key value" lines as blscfg reads them: leading blanks skipped, '#' lines
  // skipped, the key ends at the first space (else tab); a line with no value, or an empty
  // line, ends the file (GRUB's loop stops there).
  static std::vector<std::pair<std::string, std::string>> bls_keys(std::string_view text) {
    std::vector<std::pair<std::string, std::string>> out;
    while (!text.empty()) {
      const auto nl = text.find('\n');
      std::string line;
      for (char c : text.substr(0, nl))
        if (c != '\r') line += c;  // GRUB's getline drops carriage returns
      text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
      const auto start = line.find_first_not_of(" \t");
      line = start == std::string::npos ? std::string() : line.substr(start);
      if (!line.empty() && line[0] == '#') continue;
      auto sep = line.find(' ');
      if (sep == std::string::npos) sep = line.find('\t');
      if (sep == std::string::npos || sep + 1 == line.size()) break;
      const auto value = line.find_first_not_of(" \t", sep + 1);
      out.emplace_back(line.substr(0, sep),
                       value == std::string::npos ? std::string() : line.substr(value));
    }
    return out;
  }

  // blscfg's expansion of $NAME in a snippet's options, with its quirks kept, since the result
  // is measured: a piece of text is appended only when it spans two or more characters (a
  // lone character before '$', or a one-letter variable at the end, is dropped), and the
  // characters between a variable and the next '$' are kept only when there are two or more.
  // Unset variables add nothing; nullopt when nothing was appended (GRUB then has no options).
  std::optional<std::string> bls_expand(const std::string& v) const {
    std::optional<std::string> out;
    size_t start = 0, end = 0;
    bool is_var = false;
    auto append = [&](size_t a, size_t b) {  // [a, b], inclusive
      std::string piece = v.substr(a, b - a + 1);
      if (is_var) {
        auto it = vars_.find(piece);
        if (it == vars_.end()) return;
        piece = it->second;
      }
      out = out.value_or("") + piece;
    };
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '$') {
        if (start != end) append(start, end);
        is_var = true;
        start = i + 1;
      } else if (is_var && !std::isalnum(static_cast<unsigned char>(v[i])) && v[i] != '_') {
        append(start, end);
        is_var = false;
        start = i;
      }
      end = i;
    }
    if (start != end) append(start, end);
    return out;
  }

  // rpm's version comparison, as blscfg sorts with it: alternating digit and letter segments
  // (other characters separate them), '~' before anything, numbers by value, more segments
  // newer. <0, 0, >0.
  static int rpm_vercmp(std::string_view a, std::string_view b) {
    if (a == b) return 0;
    size_t i = 0, j = 0;
    auto sep = [](char c) { return !std::isalnum(static_cast<unsigned char>(c)) && c != '~'; };
    while (i < a.size() || j < b.size()) {
      while (i < a.size() && sep(a[i])) ++i;
      while (j < b.size() && sep(b[j])) ++j;
      const bool ta = i < a.size() && a[i] == '~', tb = j < b.size() && b[j] == '~';
      if (ta || tb) {
        if (!ta) return 1;
        if (!tb) return -1;
        ++i, ++j;
        continue;
      }
      if (i >= a.size() || j >= b.size()) break;
      const bool num = std::isdigit(static_cast<unsigned char>(a[i])) != 0;
      auto kind = [num](char c) {
        return num ? std::isdigit(static_cast<unsigned char>(c)) != 0
                   : std::isalpha(static_cast<unsigned char>(c)) != 0;
      };
      size_t ei = i, ej = j;
      while (ei < a.size() && kind(a[ei])) ++ei;
      while (ej < b.size() && kind(b[ej])) ++ej;
      if (ej == j) return num ? 1 : -1;  // a number is newer than letters
      std::string_view sa = a.substr(i, ei - i), sb = b.substr(j, ej - j);
      if (num) {
        while (sa.size() > 1 && sa[0] == '0') sa.remove_prefix(1);
        while (sb.size() > 1 && sb[0] == '0') sb.remove_prefix(1);
        if (sa.size() != sb.size()) return sa.size() > sb.size() ? 1 : -1;
      }
      if (const int c = sa.compare(sb); c != 0) return c < 0 ? -1 : 1;
      i = ei, j = ej;
    }
    if (i >= a.size() && j >= b.size()) return 0;
    return i >= a.size() ? -1 : 1;
  }

  std::map<std::string, Function> functions_;
  std::map<std::string, std::string> vars_;
  const GrubWorld& world_;
  GrubRun run_;
  std::vector<MenuEntry> entries_;
  std::string name_;
  int line_ = 0;
  int depth_ = 0;
  bool measure_ = true;
  bool booted_ = false;
};

}  // namespace

GrubRun run_grub_script(std::string_view script, const std::string& name,
                        std::map<std::string, std::string> vars, const GrubWorld& world,
                        bool embedded) {
  Interp in(std::move(vars), world);
  in.run_source(script, name, !embedded);
  in.run_default_entry(name);
  return in.take();
}

}  // namespace integral
