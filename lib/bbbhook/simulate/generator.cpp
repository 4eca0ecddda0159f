#include "bbbhook/simulate/generator.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <limits>
#include <random>
#include <span>
#include <tuple>

#include "bbbhook/util/hash.hpp"

namespace bbbhook::simulate {

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

namespace {

// Each byte's encoding: up to three characters, then the count of them.
using FormCode = std::array<char, 4>;

constexpr std::array<FormCode, 256> k_form_codes = [] {
    constexpr char hex[] = "0123456789ABCDEF";
    std::array<FormCode, 256> t{};
    for (int c = 0; c < 256; ++c) {
        bool literal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '*' ||
                       c == '-' || c == '.' || c == '_';
        if (literal)
            t[static_cast<size_t>(c)] = {static_cast<char>(c), 0, 0, 1};
        else if (c == ' ')
            t[static_cast<size_t>(c)] = {'+', 0, 0, 1};
        else
            t[static_cast<size_t>(c)] = {'%', hex[c >> 4], hex[c & 15], 3};
    }
    return t;
}();

} // namespace

// The generator's hottest loop, so without branches: every byte writes its four-byte code and
// advances by the code's length (the string is sized first, with slack for the last code).
void append_form_encoded(std::string& out, std::string_view text) {
    size_t size = 0;
    for (char ch : text)
        size += static_cast<size_t>(k_form_codes[static_cast<unsigned char>(ch)][3]);
    size_t at = out.size();
    out.resize(at + size + 3);
    char* p = out.data() + at;
    for (char ch : text) {
        const FormCode& code = k_form_codes[static_cast<unsigned char>(ch)];
        std::memcpy(p, code.data(), code.size());
        p += code[3];
    }
    out.resize(at + size);
}

void append_json_string(std::string& out, std::string_view text) {
    static constexpr char k_hex[] = "0123456789abcdef";
    out += '"';
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out += k_hex[c >> 4];
                out += k_hex[c & 15];
            } else {
                out += ch;
            }
        }
    }
    out += '"';
}

Status validate(const GeneratorOptions& o) {
    auto rate_ok = [](double p) { return std::isfinite(p) && p >= 0.0 && p <= 1.0; };
    const std::pair<const char*, double> rates[] = {
        {"--duplicates", o.duplicates}, {"--reorder", o.reorder},   {"--crashed", o.crashed},
        {"--breakouts", o.breakouts},   {"--guests", o.guests},     {"--two-tabs", o.two_tabs},
        {"--rejoins", o.rejoins},       {"--recorded", o.recorded},
    };
    for (const auto& [flag, p] : rates)
        if (!rate_ok(p)) return make_error(ExitCode::usage, fmt::format("{}: expected a probability in [0, 1]", flag));
    if (o.servers < 1 || o.servers > 1000) return make_error(ExitCode::usage, "--servers: expected 1 to 1000");
    if (o.target_callbacks == 0 && (o.meetings < 1 || o.meetings > 10'000'000))
        return make_error(ExitCode::usage, "--meetings: expected 1 to 10000000");
    if (o.target_callbacks > 10'000'000'000ull) return make_error(ExitCode::usage, "--callbacks: at most 1e10");
    // Up to 9999-12-31 with room for a few years of simulated days.
    if (o.start_ms < 0 || o.start_ms > 250'000'000'000'000)
        return make_error(ExitCode::usage, "--start: expected a time between 1970 and 9900");
    return {};
}

namespace {

constexpr int64_t k_second = 1000;
constexpr int64_t k_minute = 60 * k_second;
constexpr int64_t k_hour = 60 * k_minute;
constexpr int64_t k_day = 24 * k_hour;
// Meetings start within ten hours from the start time each day, about four per server.
constexpr int64_t k_day_window = 10 * k_hour;
constexpr int k_meetings_per_server_day = 4;
constexpr double k_reuse_share = 0.25;     // sessions that reuse a room from an earlier day
constexpr double k_greenlight_share = 0.2; // new rooms made by the Greenlight-like front end
constexpr double k_existing_course = 0.35; // new Moodle rooms in a course that already exists
constexpr double k_last_left_share = 0.25; // meetings that end a minute after the last user left
constexpr std::string_view k_dial_number = "613-555-1234";

// ---------------------------------------------------------------------------------------------
// Text pools: names in five scripts, Moodle sites and courses, chat, polls
// ---------------------------------------------------------------------------------------------

enum class Script { latin, accented, greek, cyrillic, cjk };
constexpr size_t k_script_count = 5;

using Words = std::span<const std::string_view>;

struct NamePool {
    Words given, family;
    std::string_view separator;
    bool family_first = false;
};

constexpr std::string_view k_latin_given[] = {"James",   "Mary",   "Robert", "Patricia", "John",  "Jennifer",
                                              "Michael", "Linda",  "David",  "Susan",    "Sarah", "Thomas",
                                              "Emma",    "Oliver", "Liam",   "Grace",    "Henry", "Anne-Marie"};
constexpr std::string_view k_latin_family[] = {"Smith",  "Johnson", "Brown",  "Taylor", "Miller", "Wilson",
                                               "Moore",  "Clark",   "Walker", "Young",  "Hall",   "Allen",
                                               "Wright", "O'Brien", "Green",  "Baker",  "Adams",  "Nelson"};
constexpr std::string_view k_accented_given[] = {"José",   "François", "Zoë",        "Jürgen", "Agnieszka", "Søren",
                                                 "Ángela", "Łukasz",   "Ömer",       "Ştefan", "Inês",      "Björn",
                                                 "Chloé",  "Gaël",     "Małgorzata", "Dóra",   "Anaïs",     "Jiří"};
constexpr std::string_view k_accented_family[] = {
    "Muñoz",     "Lefèvre",   "Müller",    "Wójcik",   "Åström",         "Núñez", "Dvořák",    "Yılmaz",  "Bălan",
    "Conceição", "Kovačević", "Ferrández", "Héritier", "Guðmundsdóttir", "Čapek", "Gonçalves", "Özdemir", "Brontë"};
constexpr std::string_view k_greek_given[] = {"Γιώργος",    "Μαρία",    "Νίκος",   "Ελένη",  "Δημήτρης",
                                              "Κατερίνα",   "Γιάννης",  "Σοφία",   "Κώστας", "Αικατερίνη",
                                              "Παναγιώτης", "Δέσποινα", "Χρήστος", "Αθηνά"};
// Genitive family names, the same for women and men.
constexpr std::string_view k_greek_family[] = {"Γεωργίου",  "Νικολάου",  "Οικονόμου",    "Ιωάννου",      "Αντωνίου",
                                               "Βασιλείου", "Δημητρίου", "Χριστοδούλου", "Κωνσταντίνου", "Αθανασίου"};
constexpr std::string_view k_ukrainian_given[] = {"Олександр", "Марія", "Дмитро",  "Анна",   "Сергій",
                                                  "Ольга",     "Іван",  "Наталія", "Богдан", "Ірина"};
// Family names in -енко, the same for women and men.
constexpr std::string_view k_ukrainian_family[] = {"Шевченко",  "Коваленко", "Бондаренко", "Ткаченко",
                                                   "Кравченко", "Лисенко",   "Марченко",   "Савченко"};
constexpr std::string_view k_serbian_given[] = {"Никола", "Јована", "Милош", "Ана", "Стефан", "Ђурђа"};
constexpr std::string_view k_serbian_family[] = {"Петровић", "Јовановић", "Николић", "Марковић", "Ђорђевић"};
constexpr std::string_view k_chinese_given[] = {"伟", "芳", "娜", "敏", "静", "丽",
                                                "强", "磊", "洋", "杰", "涛", "秀英"};
constexpr std::string_view k_chinese_family[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"};
constexpr std::string_view k_japanese_given[] = {"健太", "花子", "翔", "陽菜", "大輝", "美咲", "蓮", "結衣"};
constexpr std::string_view k_japanese_family[] = {"佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村"};
constexpr std::string_view k_korean_given[] = {"민준", "서연", "지호", "하은", "도윤", "수아"};
constexpr std::string_view k_korean_family[] = {"김", "이", "박", "최", "정", "강"};

constexpr NamePool k_latin_names[] = {{k_latin_given, k_latin_family, " ", false}};
constexpr NamePool k_accented_names[] = {{k_accented_given, k_accented_family, " ", false}};
constexpr NamePool k_greek_names[] = {{k_greek_given, k_greek_family, " ", false}};
constexpr NamePool k_cyrillic_names[] = {{k_ukrainian_given, k_ukrainian_family, " ", false},
                                         {k_serbian_given, k_serbian_family, " ", false}};
constexpr NamePool k_cjk_names[] = {{k_chinese_given, k_chinese_family, "", true},
                                    {k_japanese_given, k_japanese_family, " ", true},
                                    {k_korean_given, k_korean_family, "", true}};

std::span<const NamePool> name_pools(Script script) {
    switch (script) {
    case Script::latin: return k_latin_names;
    case Script::accented: return k_accented_names;
    case Script::greek: return k_greek_names;
    case Script::cyrillic: return k_cyrillic_names;
    case Script::cjk: return k_cjk_names;
    }
    return k_latin_names;
}

struct CourseSpec {
    std::string_view fullname, shortname;
};

// What a Moodle site in one language calls its courses, activities, groups and recordings.
struct ScriptText {
    std::span<const CourseSpec> courses;
    Words activities, groups, descriptions;
};

constexpr CourseSpec k_latin_courses[] = {{"Physics 101", "PHY101"},
                                          {"Introduction to Psychology", "PSY100"},
                                          {"Economics & Society", "ECO+SOC"},
                                          {"Data Structures", "CS201"},
                                          {"Academic Writing (B2/C1)", "ENG-AW"}};
constexpr std::string_view k_latin_activities[] = {"Lecture", "Seminar", "Office hours", "Lab session"};
constexpr std::string_view k_latin_groups[] = {"Group A", "Group B", "Evening class"};
constexpr std::string_view k_latin_descriptions[] = {"Kinematics", "Weekly Q&A", "Exam preparation: 50% of the grade"};
constexpr CourseSpec k_accented_courses[] = {{"Mathématiques appliquées", "MATH-APP"},
                                             {"Économie générale", "ÉCO-101"},
                                             {"Histoire de l'art", "HDA-2"},
                                             {"Técnicas de programación", "TÉC-PROG"}};
constexpr std::string_view k_accented_activities[] = {"Cours magistral", "Travaux dirigés", "Permanence"};
constexpr std::string_view k_accented_groups[] = {"Groupe A", "Groupe B"};
constexpr std::string_view k_accented_descriptions[] = {"Séance de révision", "Équations différentielles"};
constexpr CourseSpec k_greek_courses[] = {
    {"Φυσική Β΄ Λυκείου", "ΦΥΣ-Β"}, {"Ιστορία της Τέχνης", "ΙΣΤ-ΤΕΧ"}, {"Αρχαία Ελληνικά", "ΑΡΧ-1"}};
constexpr std::string_view k_greek_activities[] = {"Διάλεξη", "Εργαστήριο", "Ώρες γραφείου"};
constexpr std::string_view k_greek_groups[] = {"Τμήμα Α", "Τμήμα Β"};
constexpr std::string_view k_greek_descriptions[] = {"Επανάληψη", "Κινηματική"};
constexpr CourseSpec k_cyrillic_courses[] = {
    {"Математичний аналіз", "МАТАН-1"}, {"Програмування на C++", "CPP-2"}, {"Українська література", "УКР-ЛІТ"}};
constexpr std::string_view k_cyrillic_activities[] = {"Лекція", "Семінар", "Консультація"};
constexpr std::string_view k_cyrillic_groups[] = {"Група 1", "Група 2"};
constexpr std::string_view k_cyrillic_descriptions[] = {"Підготовка до іспиту", "Границі функцій"};
constexpr CourseSpec k_cjk_courses[] = {
    {"線形代数", "LA-2026"}, {"日本語 初級", "JPN-101"}, {"情報科学入門", "INFO-1"}};
constexpr std::string_view k_cjk_activities[] = {"講義", "演習", "質問会"};
constexpr std::string_view k_cjk_groups[] = {"A組", "B組"};
constexpr std::string_view k_cjk_descriptions[] = {"第3回", "期末試験の準備"};

const ScriptText& script_text(Script script) {
    static const ScriptText texts[] = {
        {k_latin_courses, k_latin_activities, k_latin_groups, k_latin_descriptions},
        {k_accented_courses, k_accented_activities, k_accented_groups, k_accented_descriptions},
        {k_greek_courses, k_greek_activities, k_greek_groups, k_greek_descriptions},
        {k_cyrillic_courses, k_cyrillic_activities, k_cyrillic_groups, k_cyrillic_descriptions},
        {k_cjk_courses, k_cjk_activities, k_cjk_groups, k_cjk_descriptions},
    };
    return texts[static_cast<size_t>(script)];
}

// Moodle sites (bbb-origin-server-name), each in a region whose script most names use.
struct SiteSpec {
    std::string_view host, version, tag;
    Script home;
};
constexpr SiteSpec k_sites[] = {
    {"moodle.example.edu", "4.4.3 (Build: 20240916)", "moodle-mod_bigbluebuttonbn (2024042200)", Script::latin},
    {"eclass.example.gr", "4.1.12 (Build: 20240805)", "moodle-mod_bigbluebuttonbn (2022112800)", Script::greek},
    {"moodle.example.ua", "4.5.1 (Build: 20241209)", "moodle-mod_bigbluebuttonbn (2024100700)", Script::cyrillic},
    {"cours.example.fr", "4.3.6 (Build: 20240812)", "moodle-mod_bigbluebuttonbn (2023100900)", Script::accented},
    {"lms.example.jp", "4.4.3 (Build: 20240916)", "moodle-mod_bigbluebuttonbn (2024042200)", Script::cjk},
};

constexpr std::string_view k_greenlight_rooms[] = {
    "Team meeting",     "Office hours", "Reading group: \"Ulysses\"", "Συνάντηση ομάδας", "Нарада кафедри",
    "Réunion d'équipe", "研究会"};

// Public chat: several scripts, emoji, and characters that need escaping in JSON or the form.
constexpr std::string_view k_chat_messages[] = {
    "Good morning!",
    "Can you hear me?",
    "Sorry, my mic isn't working",
    "Could you share the slides again?",
    "Thank you!",
    "Καλημέρα σε όλους",
    "Ευχαριστώ πολύ!",
    "Добрий день!",
    "Дякую, все зрозуміло",
    "Bonjour à tous !",
    "Merci beaucoup 🙂",
    "おはようございます",
    "谢谢老师",
    "2+2=4 & 3<5",
    "see https://moodle.example.edu/mod/resource/view.php?id=42#page=3",
    "\"quoted\" text, a back\\slash and a tab\there",
    "first line\nsecond line",
    "👍",
    "100% agreed",
};

constexpr std::string_view k_emojis[] = {"👍", "👎", "😂", "😮", "👏", "🙁", "❤️", "🎉"};

struct PollSpec {
    std::string_view question;
    Words answers;
};
constexpr std::string_view k_abcd[] = {"A", "B", "C", "D"};
constexpr std::string_view k_yes_no[] = {"Yes", "No"};
constexpr std::string_view k_true_false[] = {"True", "False"};
constexpr std::string_view k_greek_answers[] = {"Καλό", "Μέτριο", "Δύσκολο"};
constexpr std::string_view k_ukrainian_answers[] = {"Так", "Ні"};
constexpr std::string_view k_japanese_answers[] = {"はい", "いいえ"};
constexpr PollSpec k_polls[] = {
    {"", k_abcd},
    {"Did you understand?", k_yes_no},
    {"True or false: v = s / t", k_true_false},
    {"Πώς σας φάνηκε το μάθημα;", k_greek_answers},
    {"Вам зрозуміло?", k_ukrainian_answers},
    {"理解できましたか？", k_japanese_answers},
};

// ---------------------------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------------------------

uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// std::mt19937_64 is specified bit for bit; the distributions of <random> are not (libstdc++
// and libc++ differ), so ranges use these formulas and one seed means the same traffic anywhere.
class Rng {
public:
    explicit Rng(uint64_t seed) : m_engine(seed) {}

    // Uniform in [lo, hi]; lo when hi < lo. The modulo bias is far below anything observable.
    int64_t between(int64_t lo, int64_t hi) {
        if (hi <= lo) return lo;
        return lo + static_cast<int64_t>(m_engine() % static_cast<uint64_t>(hi - lo + 1));
    }
    size_t index(size_t n) { return n ? static_cast<size_t>(m_engine() % n) : 0; }
    double unit() { return static_cast<double>(m_engine() >> 11) * 0x1.0p-53; }
    bool chance(double p) { return unit() < p; }
    template <class T> const T& pick(std::span<const T> items) { return items[index(items.size())]; }
    std::string alnum(size_t n) { return chars(n, "abcdefghijklmnopqrstuvwxyz0123456789"); }
    std::string hex(size_t n) { return chars(n, "0123456789abcdef"); }
    // A version-4 UUID, as Greenlight uses for user ids.
    std::string uuid() {
        std::string h = hex(32);
        h[12] = '4';
        h[16] = "89ab"[index(4)];
        return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4), h.substr(16, 4),
                           h.substr(20));
    }
    // n times in [lo, hi], sorted.
    std::vector<int64_t> times(int64_t lo, int64_t hi, int64_t n) {
        std::vector<int64_t> out;
        if (hi <= lo) return out;
        for (int64_t i = 0; i < n; ++i)
            out.push_back(between(lo, hi));
        std::sort(out.begin(), out.end());
        return out;
    }
    template <class T> void shuffle(std::vector<T>& v) {
        for (size_t i = v.size(); i > 1; --i)
            std::swap(v[i - 1], v[index(i)]);
    }

private:
    std::string chars(size_t n, std::string_view alphabet) {
        std::string s(n, ' ');
        for (auto& c : s)
            c = alphabet[index(alphabet.size())];
        return s;
    }
    std::mt19937_64 m_engine;
};

std::string sha1_hex(std::string_view s) {
    return util::hex_digest(util::HashAlg::sha1, s);
}

// What BBB (Java's Date.toString in the server's zone, here UTC) puts in create-date.
std::string java_date(int64_t ms) {
    auto t = std::chrono::floor<std::chrono::seconds>(
        std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ms)));
    return fmt::format("{:%a %b %d %H:%M:%S} UTC {:%Y}", t, t);
}

std::string_view json_bool(bool b) {
    return b ? "true" : "false";
}

// ---------------------------------------------------------------------------------------------
// The world: Moodle sites with people and courses, rooms, Greenlight users
// ---------------------------------------------------------------------------------------------

struct Person {
    std::string ext_id; // Moodle user id, or Greenlight UUID
    std::string name;
    bool seen = false; // joined at least once (for Summary::people)
};

struct Site {
    const SiteSpec* spec = nullptr;
    std::vector<Person> people;
    int next_user_id = 2; // Moodle's admin is 2; ids grow with gaps (deleted accounts)
    int next_course_id = 2;
    int next_instance_id = 1;
};

struct Course {
    int site = 0;
    int id = 0;
    const CourseSpec* spec = nullptr;
    int teacher = 0;           // index into the site's people
    std::vector<int> students; // indices into the site's people
    int rooms = 0;
};

struct Room {
    bool moodle = true;
    int course = -1; // Moodle
    std::string external_id, name, recording_name, description;
    std::string moderator_pass, viewer_pass;
    bool record = true;
    int last_day = -1;
    int owner = -1;           // Greenlight: index into World::gl_people
    std::vector<int> members; // Greenlight: indices into World::gl_people
};

struct World {
    std::vector<Site> sites;
    std::vector<Course> courses;
    std::vector<Room> rooms;
    std::vector<Person> gl_people;
};

std::string make_name(Rng& rng, Script script) {
    const auto pools = name_pools(script);
    const NamePool& pool = pools[rng.index(pools.size())];
    std::string_view given = pool.given[rng.index(pool.given.size())];
    std::string_view family = pool.family[rng.index(pool.family.size())];
    return pool.family_first ? fmt::format("{}{}{}", family, pool.separator, given)
                             : fmt::format("{}{}{}", given, pool.separator, family);
}

// A site's people mostly have names of its region's script, some of any other.
Script person_script(Rng& rng, Script home) {
    return rng.chance(0.6) ? home : static_cast<Script>(rng.index(k_script_count));
}

int add_site_person(Rng& rng, Site& site) {
    std::string id = std::to_string(site.next_user_id);
    site.next_user_id += static_cast<int>(rng.between(1, 40));
    site.people.push_back({std::move(id), make_name(rng, person_script(rng, site.spec->home)), false});
    return static_cast<int>(site.people.size() - 1);
}

int new_course(Rng& rng, World& world) {
    int site_index = static_cast<int>(rng.index(world.sites.size()));
    Site& site = world.sites[static_cast<size_t>(site_index)];
    Course c;
    c.site = site_index;
    c.id = site.next_course_id += static_cast<int>(rng.between(1, 30));
    const auto courses = script_text(site.spec->home).courses;
    c.spec = &courses[rng.index(courses.size())];
    c.teacher = add_site_person(rng, site);
    // Students: some already known to the site (they take several courses), most new.
    int size = static_cast<int>(rng.between(5, 60));
    while (static_cast<int>(c.students.size()) < size) {
        int p = -1;
        if (site.people.size() > 20 && rng.chance(0.3)) p = static_cast<int>(rng.index(site.people.size()));
        if (p < 0 || p == c.teacher || std::ranges::find(c.students, p) != c.students.end())
            p = add_site_person(rng, site);
        c.students.push_back(p);
    }
    world.courses.push_back(std::move(c));
    return static_cast<int>(world.courses.size() - 1);
}

// Moodle's meetingID: sprintf('%s-%s-%s[%s]', meetingid seed, course id, instance id, group id).
int new_moodle_room(Rng& rng, World& world, int course_index) {
    Course& course = world.courses[static_cast<size_t>(course_index)];
    Site& site = world.sites[static_cast<size_t>(course.site)];
    const ScriptText& text = script_text(site.spec->home);
    Room r;
    r.course = course_index;
    int instance = site.next_instance_id += static_cast<int>(rng.between(1, 5));
    int group = rng.chance(0.2) ? static_cast<int>(rng.between(1, 400)) : 0;
    r.external_id = fmt::format("{}-{}-{}[{}]", rng.hex(40), course.id, instance, group);
    std::string activity(rng.pick(text.activities));
    if (++course.rooms > 1) activity += fmt::format(" {}", course.rooms);
    r.recording_name = activity;
    r.name = group ? fmt::format("{} ({})", activity, rng.pick(text.groups)) : activity;
    r.description = rng.chance(0.5) ? std::string(rng.pick(text.descriptions)) : std::string();
    r.moderator_pass = rng.alnum(12);
    r.viewer_pass = rng.alnum(12);
    r.record = rng.chance(0.8);
    world.rooms.push_back(std::move(r));
    return static_cast<int>(world.rooms.size() - 1);
}

int add_gl_person(Rng& rng, World& world) {
    world.gl_people.push_back({rng.uuid(), make_name(rng, static_cast<Script>(rng.index(k_script_count))), false});
    return static_cast<int>(world.gl_people.size() - 1);
}

int new_greenlight_room(Rng& rng, World& world) {
    Room r;
    r.moodle = false;
    r.external_id = rng.alnum(40);
    r.name = std::string(rng.pick(Words(k_greenlight_rooms)));
    r.moderator_pass = rng.alnum(8);
    r.viewer_pass = rng.alnum(8);
    r.record = rng.chance(0.3);
    r.owner = add_gl_person(rng, world);
    int members = static_cast<int>(rng.between(2, 25));
    for (int i = 0; i < members; ++i)
        r.members.push_back(!world.gl_people.empty() && rng.chance(0.2)
                                ? static_cast<int>(rng.index(world.gl_people.size()))
                                : add_gl_person(rng, world));
    std::erase(r.members, r.owner);
    world.rooms.push_back(std::move(r));
    return static_cast<int>(world.rooms.size() - 1);
}

// ---------------------------------------------------------------------------------------------
// One meeting: its sessions (main room and breakout rooms), connections and events
// ---------------------------------------------------------------------------------------------

// One internal user id in one session.
struct Conn {
    std::string iid, eid, name;
    bool moderator = false, guest = false;
    bool teacher = false; // behaves like the teacher: more audio, camera, chat
    bool quiet = false;   // a second tab: joins and leaves, nothing else
    int64_t join = 0;
    int64_t leave = 0;  // its user-left; for those who stay, the session's end
    bool stays = false; // still present at the end: left by the spoofed user-left
    Person* person = nullptr;
    uint8_t tags = 0; // Tag bits, for the summary
};

enum Tag : uint8_t { k_tag_guest = 1, k_tag_tab = 2, k_tag_rejoin = 4 };
// Where an attendee's external id comes from: the person's account, or (no userID given to the
// join call) BBB's internal id.
enum class ExtId { account, internal };

struct Session {
    std::string iid, eid, name;
    std::string meeting_attr; // "meeting":{"internal-meeting-id":…,"external-meeting-id":…}
    int64_t create_ms = 0;
    int64_t end_ms = 0;
    std::vector<Conn> conns;
};

// An event before delivery.
struct Pending {
    int64_t ts = 0;       // event time in ms (rap events: their dispatch), for the crash cut
    int64_t dispatch = 0; // the form timestamp
    uint32_t seq = 0;     // emission order: the tie-break
    std::string_view id;
    std::string json;
    const Conn* conn = nullptr; // user-joined: the connection (for the summary)
};

// A delivery: what a receiver gets, and when.
struct Timed {
    int64_t received = 0;
    uint32_t seq = 0;
    std::string body;
};

class MeetingBuilder {
public:
    MeetingBuilder(const GeneratorOptions& options, World& world, Room& room, std::string_view server,
                   int64_t create_ms, uint64_t seed, Summary& summary)
        : m_options(options), m_world(world), m_room(room), m_server(server), m_create(create_ms), m_rng(seed),
          m_summary(summary) {}

    std::vector<Timed> build();

private:
    // Cast and timeline.
    void open_main();
    void cast_moodle(int64_t attendance);
    void cast_greenlight(int64_t attendance);
    void add_attendee(Person* person, ExtId ext, bool guest, uint8_t tags);
    void add_rejoins_and_tabs();
    void choose_end();
    // Events.
    void emit(std::string_view id, int64_t ts, std::string_view attrs, int64_t dispatch = -1, int64_t ts_field = -1);
    void meeting_created(const Session& s, bool breakout, std::string_view parent, int64_t duration_min,
                         std::string_view voice, bool record);
    std::string user(const Session& s, const Conn& c, std::string_view extra = {}) const;
    void joined(const Session& s, const Conn& c);
    void left(const Session& s, const Conn& c);
    void end_session(const Session& s, int64_t ended_ts);
    void activity(const Session& s, const Conn& c);
    void audio(const Session& s, const Conn& c, int64_t from, int64_t to);
    void camera(const Session& s, const Conn& c, int64_t from, int64_t to);
    void chat(const Session& s, const Conn& c, int64_t from, int64_t to);
    void hands_and_emoji(const Session& s, const Conn& c, int64_t from, int64_t to);
    void teaching(const Session& s);
    void polls(const Session& s, const Conn& presenter, int64_t from, int64_t to);
    void breakouts(const Session& parent);
    void breakout_room(const Session& parent, int seq, int64_t create, int64_t end, const std::vector<size_t>& who,
                       int64_t duration_min);
    void recording();
    // Delivery.
    void cut_at_crash();
    std::vector<Timed> deliver();
    void count(const std::vector<Timed>& out);

    const Conn* teacher_conn() const { return m_main.conns.empty() ? nullptr : &m_main.conns.front(); }

    const GeneratorOptions& m_options;
    World& m_world;
    Room& m_room;
    std::string_view m_server;
    int64_t m_create;
    Rng m_rng;
    Summary& m_summary;

    Session m_main;
    std::vector<Session> m_breakouts; // stable addresses: reserved before use
    std::string m_metadata;           // the metadata object, inherited by breakout rooms
    std::string m_voice_conf;
    int64_t m_t0 = 0, m_t1 = 0; // the teacher's working window
    bool m_crashed = false;
    bool m_last_left = false;
    int64_t m_crash_at = 0;
    int64_t m_ended_ts = 0;
    int64_t m_recording_start = -1, m_recording_stop = -1;
    std::vector<Pending> m_events;
    std::vector<std::unique_ptr<Person>> m_guests; // people who exist for this meeting only
};

std::string MeetingBuilder::user(const Session& s, const Conn& c, std::string_view extra) const {
    std::string out = s.meeting_attr;
    out += ",\"user\":{\"internal-user-id\":";
    append_json_string(out, c.iid);
    out += ",\"external-user-id\":";
    append_json_string(out, c.eid);
    out += extra;
    out += '}';
    return out;
}

// The event JSON in bbb-webhooks' key order: data.type, data.id, data.attributes, data.event.ts.
// dispatch is the form timestamp (by default 0–3 ms after ts); ts_field overrides the ts value
// (rap events carry seconds).
void MeetingBuilder::emit(std::string_view id, int64_t ts, std::string_view attrs, int64_t dispatch, int64_t ts_field) {
    Pending p;
    p.ts = ts;
    p.dispatch = dispatch >= 0 ? dispatch : ts + m_rng.between(0, 3);
    p.seq = static_cast<uint32_t>(m_events.size());
    p.id = id;
    p.json.reserve(attrs.size() + 96);
    p.json += R"({"data":{"type":"event","id":")";
    p.json += id;
    p.json += R"(","attributes":{)";
    p.json += attrs;
    p.json += R"(},"event":{"ts":)";
    p.json += std::to_string(ts_field >= 0 ? ts_field : ts);
    p.json += "}}}";
    m_events.push_back(std::move(p));
}

void MeetingBuilder::meeting_created(const Session& s, bool breakout, std::string_view parent, int64_t duration_min,
                                     std::string_view voice, bool record) {
    std::string a = "\"meeting\":{\"internal-meeting-id\":";
    append_json_string(a, s.iid);
    a += ",\"external-meeting-id\":";
    append_json_string(a, s.eid);
    a += ",\"name\":";
    append_json_string(a, s.name);
    a += fmt::format(R"(,"is-breakout":{},"parent-id":)", json_bool(breakout));
    append_json_string(a, parent);
    a += fmt::format(R"(,"duration":{},"create-time":{},"create-date":"{}","moderator-pass":)", duration_min,
                     s.create_ms, java_date(s.create_ms));
    append_json_string(a, m_room.moderator_pass);
    a += ",\"viewer-pass\":";
    append_json_string(a, m_room.viewer_pass);
    a += fmt::format(R"(,"record":{},"voice-conf":"{}","dial-number":"{}","max-users":0,"metadata":{}}})",
                     json_bool(record), voice, k_dial_number, m_metadata);
    // bbb-webhooks stamps ts when it maps the message, a little after akka created the meeting.
    emit("meeting-created", s.create_ms + m_rng.between(15, 400), a);
}

void MeetingBuilder::joined(const Session& s, const Conn& c) {
    std::string extra = ",\"name\":";
    append_json_string(extra, c.name);
    extra += fmt::format(R"(,"role":"{}","presenter":false,"guest":{})", c.moderator ? "MODERATOR" : "VIEWER",
                         json_bool(c.guest));
    emit("user-joined", c.join, user(s, c, extra));
    m_events.back().conn = &c;
}

// A normal user-left carries only the ids and guest (§5.4).
void MeetingBuilder::left(const Session& s, const Conn& c) {
    emit("user-left", c.leave, user(s, c, fmt::format(R"(,"guest":{})", json_bool(c.guest))));
}

// meeting-ended as bbb-webhooks reports it (§5.5): first a spoofed user-left with the full stored
// user object for everyone still present, in the order they joined, ts 1–2 ms after
// meeting-ended's; then meeting-ended. All share one form timestamp.
void MeetingBuilder::end_session(const Session& s, int64_t ended_ts) {
    int64_t dispatch = ended_ts + m_rng.between(3, 4);
    std::vector<const Conn*> present;
    for (const auto& c : s.conns)
        if (c.stays) present.push_back(&c);
    std::ranges::stable_sort(present, {}, &Conn::join);
    for (size_t i = 0; i < present.size(); ++i) {
        const Conn& c = *present[i];
        std::string extra = ",\"name\":";
        append_json_string(extra, c.name);
        extra += fmt::format(R"(,"role":"{}","presenter":false,"guest":{})", c.moderator ? "MODERATOR" : "VIEWER",
                             json_bool(c.guest));
        int64_t ts = ended_ts + 1 + (i * 2 >= present.size() ? 1 : 0);
        emit("user-left", ts, user(s, c, extra), dispatch);
    }
    emit("meeting-ended", ended_ts, s.meeting_attr, dispatch);
}

std::vector<Timed> MeetingBuilder::build() {
    // The main room: who comes when, and how the meeting ends.
    open_main();
    add_rejoins_and_tabs();
    choose_end();
    // Its events, the breakout rooms' and the recording's.
    meeting_created(m_main, false, "bbb-none", 0, m_voice_conf, m_room.record);
    for (const auto& c : m_main.conns) {
        joined(m_main, c);
        activity(m_main, c);
        if (!c.stays) left(m_main, c);
    }
    teaching(m_main);
    breakouts(m_main);
    if (m_last_left)
        emit("meeting-ended", m_ended_ts, m_main.meeting_attr);
    else
        end_session(m_main, m_ended_ts);
    recording();
    // What a receiver gets.
    cut_at_crash();
    auto out = deliver();
    count(out);
    return out;
}

void MeetingBuilder::open_main() {
    Session& s = m_main;
    s.eid = m_room.external_id;
    s.create_ms = m_create;
    s.iid = fmt::format("{}-{}", sha1_hex(s.eid), s.create_ms); // BBB: sha1(extId)-createTime
    s.name = m_room.name;
    s.meeting_attr = "\"meeting\":{\"internal-meeting-id\":";
    append_json_string(s.meeting_attr, s.iid);
    s.meeting_attr += ",\"external-meeting-id\":";
    append_json_string(s.meeting_attr, s.eid);
    s.meeting_attr += '}';
    m_voice_conf = std::to_string(m_rng.between(70000, 79999));

    // Moodle creates the meeting when the teacher clicks "Join", then redirects the teacher in.
    Conn t;
    t.join = m_create + m_rng.between(1500, 8000);
    t.moderator = t.teacher = true;
    int64_t duration = m_rng.chance(0.15) ? m_rng.between(3, 20) * k_minute : m_rng.between(40, 100) * k_minute;
    s.end_ms = t.join + duration;
    t.leave = s.end_ms;
    t.stays = true;
    t.iid = "w_" + m_rng.alnum(12);
    m_main.conns.push_back(std::move(t));
    m_t0 = m_main.conns.front().join + 2 * k_second;
    m_t1 = s.end_ms - k_minute;

    int64_t attendance = m_rng.between(55, 95);
    if (m_room.moodle)
        cast_moodle(attendance);
    else
        cast_greenlight(attendance);
    if (m_rng.chance(m_options.guests)) {
        int64_t n = m_rng.between(1, 3);
        for (int64_t i = 0; i < n; ++i) {
            auto script = static_cast<Script>(m_rng.index(k_script_count));
            m_guests.push_back(std::make_unique<Person>(Person{"", make_name(m_rng, script), false}));
            add_attendee(m_guests.back().get(), ExtId::internal, true, k_tag_guest);
        }
    }
}

void MeetingBuilder::cast_moodle(int64_t attendance) {
    Course& course = m_world.courses[static_cast<size_t>(m_room.course)];
    Site& site = m_world.sites[static_cast<size_t>(course.site)];
    Conn& t = m_main.conns.front();
    Person& teacher = site.people[static_cast<size_t>(course.teacher)];
    t.eid = teacher.ext_id;
    t.name = teacher.name;
    t.person = &teacher;
    // The Moodle metadata of §5.3, in the order Moodle builds it.
    std::string m = R"({"bbb-origin":"Moodle","bbb-origin-version":)";
    append_json_string(m, site.spec->version);
    m += ",\"bbb-origin-server-name\":";
    append_json_string(m, site.spec->host);
    m += R"(,"bbb-origin-server-common-name":"","bbb-origin-tag":)";
    append_json_string(m, site.spec->tag);
    m += ",\"bbb-context\":";
    append_json_string(m, course.spec->fullname);
    m += fmt::format(R"(,"bbb-context-id":"{}","bbb-context-name":)", course.id);
    append_json_string(m, course.spec->fullname);
    m += ",\"bbb-context-label\":";
    append_json_string(m, course.spec->shortname);
    m += ",\"bbb-recording-name\":";
    append_json_string(m, m_room.recording_name);
    m += ",\"bbb-recording-description\":";
    append_json_string(m, m_room.description);
    m += fmt::format(R"(,"bbb-recording-tags":"","bbb-meeting-size-hint":"{}"}})", course.students.size() + 1);
    m_metadata = std::move(m);
    for (int index : course.students)
        if (m_rng.between(1, 100) <= attendance)
            add_attendee(&site.people[static_cast<size_t>(index)], ExtId::account, false, 0);
}

void MeetingBuilder::cast_greenlight(int64_t attendance) {
    Conn& t = m_main.conns.front();
    Person& owner = m_world.gl_people[static_cast<size_t>(m_room.owner)];
    t.eid = owner.ext_id;
    t.name = owner.name;
    t.person = &owner;
    m_metadata =
        R"({"bbb-origin":"Greenlight","bbb-origin-version":"v3","bbb-origin-server-name":"greenlight.example.org"})";
    for (int index : m_room.members)
        if (m_rng.between(1, 100) <= attendance)
            add_attendee(&m_world.gl_people[static_cast<size_t>(index)], ExtId::account, false, 0);
    // People following a shared link without an account: no userID, so BBB uses the internal id.
    int64_t anonymous = m_rng.between(0, 4);
    for (int64_t i = 0; i < anonymous; ++i) {
        auto script = static_cast<Script>(m_rng.index(k_script_count));
        m_guests.push_back(std::make_unique<Person>(Person{"", make_name(m_rng, script), false}));
        add_attendee(m_guests.back().get(), ExtId::internal, false, 0);
    }
}

// A participant who joins after the teacher (most within five minutes) and stays to the end
// or leaves early.
void MeetingBuilder::add_attendee(Person* person, ExtId ext, bool guest, uint8_t tags) {
    const Conn& t = m_main.conns.front();
    Conn c;
    c.iid = "w_" + m_rng.alnum(12);
    c.eid = ext == ExtId::internal ? c.iid : person->ext_id;
    c.name = person->name;
    c.person = person;
    c.guest = guest;
    c.tags = tags;
    int64_t span = m_main.end_ms - t.join;
    c.join =
        t.join + (m_rng.chance(0.75) ? m_rng.between(k_second, 5 * k_minute) : m_rng.between(5 * k_minute, span / 2));
    c.stays = m_rng.chance(0.8);
    c.leave = m_main.end_ms;
    if (!c.stays) {
        c.leave = m_rng.between(c.join + 2 * k_minute, m_main.end_ms - k_minute);
        if (c.leave <= c.join + 2 * k_minute) {
            c.stays = true;
            c.leave = m_main.end_ms;
        }
    }
    if (c.join >= m_main.end_ms - k_minute) return; // too late to bother
    m_main.conns.push_back(std::move(c));
}

// Dropped connections come back with a new internal id; some people open a second tab.
void MeetingBuilder::add_rejoins_and_tabs() {
    std::vector<Conn> extra;
    for (auto& c : m_main.conns) {
        if (c.teacher) continue;
        if (m_rng.chance(m_options.rejoins) && c.leave - c.join > 4 * k_minute) {
            int64_t drop = m_rng.between(c.join + k_minute, c.leave - 2 * k_minute);
            Conn again = c;
            again.iid = "w_" + m_rng.alnum(12);
            if (c.eid == c.iid) again.eid = again.iid; // no userID: BBB uses the new internal id
            again.join =
                drop + m_rng.between(10 * k_second, std::min<int64_t>(5 * k_minute, c.leave - drop - k_minute));
            again.tags = static_cast<uint8_t>((c.tags & k_tag_guest) | k_tag_rejoin);
            c.leave = drop;
            c.stays = false;
            extra.push_back(std::move(again));
        }
        if (m_rng.chance(m_options.two_tabs) && c.leave - c.join > 3 * k_minute) {
            Conn tab = c;
            tab.iid = "w_" + m_rng.alnum(12);
            if (c.eid == c.iid) continue; // an anonymous second tab is just another person
            tab.quiet = true;
            tab.join = m_rng.between(c.join + 30 * k_second, c.leave - 2 * k_minute);
            tab.stays = c.stays && m_rng.chance(0.5);
            tab.leave = tab.stays ? c.leave : m_rng.between(tab.join + 30 * k_second, c.leave - 10 * k_second);
            tab.tags = static_cast<uint8_t>((c.tags & k_tag_guest) | k_tag_tab);
            extra.push_back(std::move(tab));
        }
    }
    for (auto& c : extra)
        m_main.conns.push_back(std::move(c));
}

// Most meetings are ended by the teacher (spoofed user-left for all present); some end a
// minute after the last user left; some lose their end because bbb-webhooks was down.
void MeetingBuilder::choose_end() {
    m_ended_ts = m_main.end_ms;
    m_crashed = m_rng.chance(m_options.crashed);
    if (m_crashed) {
        int64_t span = m_main.end_ms - m_create;
        m_crash_at = m_rng.between(m_create + span * 6 / 10, m_main.end_ms - k_second);
        return;
    }
    if (!m_rng.chance(k_last_left_share)) return;
    m_last_left = true;
    for (auto& c : m_main.conns) {
        if (!c.stays) continue;
        c.stays = false;
        if (!c.teacher)
            c.leave = std::max(c.join + 10 * k_second, m_main.end_ms - m_rng.between(k_second, 4 * k_minute));
    }
    m_ended_ts = m_main.end_ms + m_rng.between(60 * k_second, 75 * k_second); // meetingExpireWhenLastUserLeft
}

// ---- activity of one connection, strictly between its join and its leave

void MeetingBuilder::activity(const Session& s, const Conn& c) {
    if (c.quiet) return;
    int64_t from = c.join + 1500;
    int64_t to = c.leave - 1500;
    if (to - from < 10 * k_second) return;
    audio(s, c, from, to);
    camera(s, c, from, to);
    chat(s, c, from, to);
    if (!c.teacher) hands_and_emoji(s, c, from, to);
}

void MeetingBuilder::audio(const Session& s, const Conn& c, int64_t from, int64_t to) {
    if (!m_rng.chance(0.85)) return;
    int64_t on = std::min(from + m_rng.between(0, 25 * k_second), to - 5 * k_second);
    bool mic = m_rng.chance(c.teacher ? 0.95 : 0.5);
    bool muted = !mic || m_rng.chance(0.4); // muteOnStart, or listen-only
    emit("user-audio-voice-enabled", on,
         user(s, c,
              fmt::format(R"(,"listening-only":{},"sharing-mic":{},"muted":{})", json_bool(!mic), json_bool(mic),
                          json_bool(muted))));
    if (mic) {
        for (int64_t t :
             m_rng.times(on + k_second, to - k_second, c.teacher ? m_rng.between(2, 10) : m_rng.between(0, 4))) {
            muted = !muted;
            emit(muted ? "user-audio-muted" : "user-audio-unmuted", t,
                 user(s, c, fmt::format(R"(,"muted":{})", json_bool(muted))));
        }
    }
    if (!c.stays)
        emit("user-audio-voice-disabled", c.leave - m_rng.between(100, 1400),
             user(s, c, R"(,"listening-only":false,"sharing-mic":false,"muted":true)"));
}

void MeetingBuilder::camera(const Session& s, const Conn& c, int64_t from, int64_t to) {
    if (!m_rng.chance(c.teacher ? 0.6 : 0.2)) return;
    int64_t start = m_rng.between(from, from + (to - from) / 3);
    std::string extra = ",\"stream\":";
    append_json_string(extra, c.iid + "_" + m_rng.hex(64));
    emit("user-cam-broadcast-start", start, user(s, c, extra));
    if (!c.stays || m_rng.chance(0.5))
        emit("user-cam-broadcast-end", m_rng.between(start + k_second, to), user(s, c, extra));
}

void MeetingBuilder::chat(const Session& s, const Conn& c, int64_t from, int64_t to) {
    int64_t n = c.teacher ? m_rng.between(0, 6) : (m_rng.chance(0.4) ? m_rng.between(1, 4) : 0);
    for (int64_t t : m_rng.times(from, to, n)) {
        int64_t sent = t - m_rng.between(3, 40); // BBB's own clock, a little before bbb-webhooks'
        std::string a = s.meeting_attr;
        a += fmt::format(R"(,"chat-message":{{"id":"{}-{}","message":)", sent, m_rng.alnum(8));
        append_json_string(a, m_rng.pick(Words(k_chat_messages)));
        a += ",\"sender\":{\"internal-user-id\":";
        append_json_string(a, c.iid);
        a += ",\"external-user-id\":";
        append_json_string(a, c.eid);
        a += ",\"name\":";
        append_json_string(a, c.name);
        a += fmt::format(R"(,"time":{}}}}},"chat-id":"MAIN-PUBLIC-GROUP-CHAT")", sent);
        emit("chat-group-message-sent", t, a);
    }
}

void MeetingBuilder::hands_and_emoji(const Session& s, const Conn& c, int64_t from, int64_t to) {
    if (m_rng.chance(0.3)) {
        auto raises = m_rng.times(from, to - 2 * k_second, m_rng.between(1, 3));
        for (size_t i = 0; i < raises.size(); ++i) {
            int64_t next = i + 1 < raises.size() ? raises[i + 1] - 1 : to;
            int64_t lower = std::min(raises[i] + m_rng.between(5 * k_second, 90 * k_second), next);
            if (lower <= raises[i]) continue;
            emit("user-raise-hand-changed", raises[i], user(s, c, R"(,"raise-hand":true)"));
            emit("user-raise-hand-changed", lower, user(s, c, R"(,"raise-hand":false)"));
        }
    }
    if (m_rng.chance(0.15)) {
        int64_t t = m_rng.between(from, to - 4 * k_second);
        std::string extra = ",\"emoji\":";
        append_json_string(extra, m_rng.pick(Words(k_emojis)));
        emit("user-emoji-changed", t, user(s, c, extra));
        emit("user-emoji-changed", std::min(t + m_rng.between(3 * k_second, 60 * k_second), to),
             user(s, c, R"(,"emoji":"none")"));
    }
}

// The teacher presents (BBB makes the first moderator presenter), shares the screen, runs
// polls, records, and sometimes hands the presenter role to a student for a while.
void MeetingBuilder::teaching(const Session& s) {
    const Conn& t = *teacher_conn();
    emit("user-presenter-assigned", t.join + m_rng.between(300, 1500), user(s, t));
    int64_t span = m_t1 - m_t0;
    if (span < 2 * k_minute) return;
    if (m_room.record && m_rng.chance(m_options.recorded)) {
        m_recording_start = m_t0 + m_rng.between(20 * k_second, std::min<int64_t>(3 * k_minute, span / 4));
        emit("meeting-recording-started", m_recording_start, s.meeting_attr);
        if (m_rng.chance(0.5)) {
            m_recording_stop = m_t1 - m_rng.between(0, 30 * k_second);
            emit("meeting-recording-stopped", m_recording_stop, s.meeting_attr);
        }
    }
    if (m_rng.chance(0.4)) {
        int64_t on = m_rng.between(m_t0 + k_minute, m_t0 + span / 3);
        int64_t off = std::min(on + m_rng.between(k_minute, 15 * k_minute), m_t0 + span / 2);
        emit("meeting-screenshare-started", on, user(s, t));
        emit("meeting-screenshare-stopped", off, user(s, t));
    }
    polls(s, t, m_t0 + 2 * k_minute, m_t0 + span * 6 / 10);
    if (!m_rng.chance(0.2)) return;
    int64_t h1 = m_rng.between(m_t0 + span * 65 / 100, m_t0 + span * 8 / 10);
    int64_t h2 = std::min(h1 + m_rng.between(2 * k_minute, 8 * k_minute), m_t1 - 30 * k_second);
    for (const auto& c : s.conns) {
        if (c.teacher || c.quiet || c.guest || c.join >= h1 || (!c.stays && c.leave <= h2 + k_second)) continue;
        emit("user-presenter-unassigned", h1, user(s, t));
        emit("user-presenter-assigned", h1 + m_rng.between(5, 200), user(s, c));
        emit("user-presenter-unassigned", h2, user(s, c));
        emit("user-presenter-assigned", h2 + m_rng.between(5, 200), user(s, t));
        return;
    }
}

// Mapped poll-responded events carry the poll owner (core.header.userId), not the responder:
// what bbb-webhooks v3.5.0 really sends (§5.2).
void MeetingBuilder::polls(const Session& s, const Conn& presenter, int64_t from, int64_t to) {
    int64_t n = m_rng.chance(0.5) ? m_rng.between(1, 3) : 0;
    if (!n) return;
    std::string presentation =
        fmt::format("{}-{}", sha1_hex(s.iid + "/presentation"), s.create_ms + m_rng.between(20, 80));
    for (int64_t t : m_rng.times(from, to, n)) {
        // One random draw per statement: the order of evaluation of arguments is unspecified.
        const PollSpec& poll = m_rng.pick(std::span<const PollSpec>(k_polls));
        int64_t slide = m_rng.between(1, 20);
        int64_t opened = t - m_rng.between(5, 50);
        std::string id = fmt::format("{}/{}/{}", presentation, slide, opened);
        std::string a = ",\"poll\":{\"id\":";
        append_json_string(a, id);
        a += ",\"question\":";
        append_json_string(a, poll.question);
        a += ",\"answers\":[";
        for (size_t i = 0; i < poll.answers.size(); ++i) {
            a += fmt::format(R"({}{{"id":{},"key":)", i ? "," : "", i);
            append_json_string(a, poll.answers[i]);
            a += '}';
        }
        a += "]}";
        emit("poll-started", t, user(s, presenter) + a);
        for (const auto& c : s.conns) {
            bool present = c.join < t && (c.stays || c.leave > t + 60 * k_second);
            if (c.teacher || c.quiet || !present || !m_rng.chance(0.8)) continue;
            std::string r = ",\"poll\":{\"id\":";
            append_json_string(r, id);
            r += fmt::format(R"(,"answerIds":[{}]}})", m_rng.index(poll.answers.size()));
            emit("poll-responded", t + m_rng.between(2 * k_second, 55 * k_second), user(s, presenter) + r);
        }
    }
}

// Breakout rooms as BBB makes them (akka-apps BreakoutRoomsUtil and BreakoutHdlrHelpers):
// external id sha1(parentIntId-ts-seq)-ts, internal id sha1(extId)-ts, the parent's metadata,
// and each participant joins with userID = <parent internal user id>-<seq> and the moderator
// password, so breakout users are MODERATORs whose external id is not the parent's one.
void MeetingBuilder::breakouts(const Session& parent) {
    if (!m_rng.chance(m_options.breakouts)) return;
    int64_t span = m_t1 - m_t0;
    int64_t start = m_rng.between(m_t0 + span * 2 / 10, m_t0 + span * 45 / 100);
    int64_t minutes = std::min<int64_t>(m_rng.between(5, 20), (m_t1 - 2 * k_minute - start) / k_minute);
    if (minutes < 5) return;
    int64_t end = start + minutes * k_minute;
    std::vector<size_t> who;
    for (size_t i = 0; i < parent.conns.size(); ++i) {
        const Conn& c = parent.conns[i];
        if (!c.teacher && !c.quiet && c.join < start - 5 * k_second && (c.stays || c.leave > end + 30 * k_second))
            who.push_back(i);
    }
    if (who.size() < 2) return;
    m_rng.shuffle(who);
    int64_t rooms = m_rng.between(1, std::min<int64_t>(4, static_cast<int64_t>(who.size() / 2)));
    m_breakouts.reserve(static_cast<size_t>(rooms));
    for (int64_t r = 0; r < rooms; ++r) {
        std::vector<size_t> members;
        for (size_t i = static_cast<size_t>(r); i < who.size(); i += static_cast<size_t>(rooms))
            members.push_back(who[i]);
        int64_t create = start + m_rng.between(0, 1);
        int64_t ended = end + r * m_rng.between(0, 2);
        breakout_room(parent, static_cast<int>(r + 1), create, ended, members, minutes);
    }
}

void MeetingBuilder::breakout_room(const Session& parent, int seq, int64_t create, int64_t end,
                                   const std::vector<size_t>& who, int64_t duration_min) {
    m_breakouts.emplace_back();
    Session& b = m_breakouts.back();
    b.create_ms = create;
    b.end_ms = end;
    b.eid = fmt::format("{}-{}", sha1_hex(fmt::format("{}-{}-{}", parent.iid, create, seq)), create);
    b.iid = fmt::format("{}-{}", sha1_hex(b.eid), create);
    b.name = fmt::format("{} (Room {})", parent.name, seq);
    b.meeting_attr = "\"meeting\":{\"internal-meeting-id\":";
    append_json_string(b.meeting_attr, b.iid);
    b.meeting_attr += ",\"external-meeting-id\":";
    append_json_string(b.meeting_attr, b.eid);
    b.meeting_attr += '}';
    auto enter = [&](const Conn& from, int64_t join, int64_t leave, bool stays) {
        Conn c;
        c.iid = "w_" + m_rng.alnum(12);
        c.eid = fmt::format("{}-{}", from.iid, seq);
        c.name = from.name;
        c.moderator = true;
        c.teacher = from.teacher;
        c.join = join;
        c.leave = leave;
        c.stays = stays;
        b.conns.push_back(std::move(c));
    };
    for (size_t index : who) {
        if (!m_rng.chance(0.9)) continue; // some never accept the invitation
        int64_t join = create + m_rng.between(3 * k_second, 45 * k_second);
        bool stays = m_rng.chance(0.9);
        enter(parent.conns[index], join, stays ? end : m_rng.between(join + k_minute, end - 10 * k_second), stays);
    }
    // The teacher visits some rooms for a few minutes.
    if (m_rng.chance(0.5)) {
        int64_t join = m_rng.between(create + k_minute, end - 3 * k_minute);
        enter(*teacher_conn(), join, join + m_rng.between(k_minute, 2 * k_minute), false);
    }
    meeting_created(b, true, parent.iid, duration_min, m_voice_conf + std::to_string(seq), false);
    for (const auto& c : b.conns) {
        joined(b, c);
        activity(b, c);
        if (!c.stays) left(b, c);
    }
    // Everyone is a moderator here, so the first to arrive becomes presenter.
    auto first = std::ranges::min_element(b.conns, {}, &Conn::join);
    if (first != b.conns.end())
        emit("user-presenter-assigned", first->join + m_rng.between(300, 1500), user(b, *first));
    end_session(b, end);
}

// Recording processing after the end: rap-archive-started/ended, ts in seconds (§5.7).
void MeetingBuilder::recording() {
    if (!m_room.record || m_crashed) return;
    bool recorded = m_recording_start >= 0;
    int64_t started_s = (m_ended_ts + m_rng.between(5 * k_second, 60 * k_second)) / k_second;
    int64_t step_ms = m_rng.between(800, 30000);
    int64_t ended_s = started_s + (step_ms + 999) / k_second + m_rng.between(0, 1);
    std::string record_id = ",\"record-id\":";
    append_json_string(record_id, m_main.iid);
    int64_t dispatch = started_s * k_second + m_rng.between(1, 999);
    emit("rap-archive-started", dispatch, m_main.meeting_attr + record_id, dispatch, started_s);
    int64_t stop = m_recording_stop >= 0 ? m_recording_stop : m_ended_ts;
    int64_t duration = recorded ? stop - m_recording_start : 0;
    dispatch = ended_s * k_second + m_rng.between(1, 999);
    emit("rap-archive-ended", dispatch,
         m_main.meeting_attr + record_id +
             fmt::format(R"(,"success":true,"step-time":{},"recorded":{},"duration":{})", step_ms, json_bool(recorded),
                         duration),
         dispatch, ended_s);
}

// ---- delivery

// bbb-webhooks was down from m_crash_at on: nothing after it reaches us, not even the end.
void MeetingBuilder::cut_at_crash() {
    if (!m_crashed) return;
    std::erase_if(m_events, [&](const Pending& p) { return p.ts > m_crash_at; });
}

// Arrival order is dispatch order, a few ms later. Then some events are retried (they arrive
// after events dispatched later) and some are delivered twice (the receiver answered too late).
std::vector<Timed> MeetingBuilder::deliver() {
    std::ranges::sort(m_events, {}, [](const Pending& p) { return std::pair(p.dispatch, p.seq); });
    std::vector<Timed> out;
    out.reserve(m_events.size() + m_events.size() / 16 + 4);
    int64_t last = 0;
    for (const auto& p : m_events) {
        Timed t;
        t.received = std::max(p.dispatch + m_rng.between(1, 4), last);
        last = t.received;
        t.seq = static_cast<uint32_t>(out.size());
        t.body.reserve(p.json.size() * 2 + 80);
        t.body += "domain=";
        append_form_encoded(t.body, m_server);
        t.body += "&event=%5B";
        append_form_encoded(t.body, p.json);
        t.body += "%5D&timestamp=";
        t.body += std::to_string(p.dispatch);
        out.push_back(std::move(t));
    }
    static constexpr int64_t k_retry_after[] = {100, 600, 1600, 3600}; // bbb-webhooks' schedule
    for (size_t i = 0; i + 1 < out.size(); ++i) {
        if (!m_rng.chance(m_options.reorder)) continue;
        int64_t delay = k_retry_after[m_rng.index(std::size(k_retry_after))];
        delay += m_rng.between(0, 20);
        out[i].received = std::max(out[i].received + delay, out[i + 1].received + 1);
        ++m_summary.reordered;
    }
    static constexpr int64_t k_again_after[] = {5100, 15600, 25600, 55600, 115600};
    size_t n = out.size();
    for (size_t i = 0; i < n; ++i) {
        if (!m_rng.chance(m_options.duplicates)) continue;
        int64_t delay = k_again_after[m_rng.index(std::size(k_again_after))];
        delay += m_rng.between(0, 200);
        Timed copy{out[i].received + delay, static_cast<uint32_t>(out.size()), out[i].body};
        out.push_back(std::move(copy));
        ++m_summary.duplicates;
    }
    return out;
}

void MeetingBuilder::count(const std::vector<Timed>& out) {
    Summary& s = m_summary;
    s.callbacks += out.size();
    ++s.meetings;
    s.greenlight += m_room.moodle ? 0 : 1;
    s.crashed += m_crashed ? 1 : 0;
    // Breakout rooms whose meeting-created got through (a crash may come first); the main room's
    // meeting-created always does.
    s.breakouts +=
        static_cast<uint64_t>(std::ranges::count(m_events, std::string_view("meeting-created"), &Pending::id)) - 1;
    for (const auto& p : m_events) {
        auto it = s.events.find(p.id);
        if (it == s.events.end()) it = s.events.emplace(std::string(p.id), 0).first;
        ++it->second;
        if (!p.conn) continue;
        ++s.connections;
        s.guests += (p.conn->tags & k_tag_guest) ? 1 : 0;
        s.two_tabs += (p.conn->tags & k_tag_tab) ? 1 : 0;
        s.rejoins += (p.conn->tags & k_tag_rejoin) ? 1 : 0;
        if (p.conn->person && !p.conn->person->seen) {
            p.conn->person->seen = true;
            ++s.people;
        }
    }
}

} // namespace

// ---------------------------------------------------------------------------------------------
// The generator: days of meetings, merged into one arrival-ordered stream
// ---------------------------------------------------------------------------------------------

namespace {

struct Queued {
    int64_t received = 0;
    uint64_t meeting = 0;
    uint32_t seq = 0;
    int server = 0;
    std::string body;
};

// Heap order: earliest arrival first; ties by meeting, then by delivery order.
struct ArrivesLater {
    bool operator()(const Queued& a, const Queued& b) const {
        return std::tie(a.received, a.meeting, a.seq) > std::tie(b.received, b.meeting, b.seq);
    }
};

} // namespace

struct Generator::Impl {
    GeneratorOptions options;
    Rng rng;
    World world;
    Summary summary;
    std::vector<std::string> servers;
    std::vector<int64_t> day_slots; // start times of today's meetings
    size_t next_slot = 0;
    int64_t day = -1;
    uint64_t planned = 0; // meetings planned so far
    uint64_t started = 0;
    std::vector<Queued> heap;

    explicit Impl(const GeneratorOptions& o) : options(o), rng(splitmix64(o.seed)) {
        for (int i = 1; i <= o.servers; ++i)
            servers.push_back(fmt::format("bbb{}.example.org", i));
        // Each site's ids start somewhere in its own history.
        for (const auto& spec : k_sites) {
            Site site;
            site.spec = &spec;
            site.next_user_id = static_cast<int>(rng.between(2, 300));
            site.next_course_id = static_cast<int>(rng.between(2, 500));
            site.next_instance_id = static_cast<int>(rng.between(1, 200));
            world.sites.push_back(std::move(site));
        }
    }

    bool finished() const {
        if (options.target_callbacks) return summary.callbacks >= options.target_callbacks;
        return started >= static_cast<uint64_t>(options.meetings);
    }

    // No meeting not yet started can deliver anything before this time.
    int64_t horizon() const {
        if (finished()) return std::numeric_limits<int64_t>::max();
        if (next_slot < day_slots.size()) return day_slots[next_slot];
        return options.start_ms + (day + 1) * k_day;
    }

    void plan_day() {
        ++day;
        uint64_t n = static_cast<uint64_t>(options.servers) * k_meetings_per_server_day;
        if (!options.target_callbacks) n = std::min<uint64_t>(n, static_cast<uint64_t>(options.meetings) - planned);
        int64_t window = options.start_ms + day * k_day;
        day_slots = rng.times(window, window + k_day_window - 1, static_cast<int64_t>(n));
        next_slot = 0;
        planned += n;
    }

    // A room from an earlier day, or a new one.
    int choose_room() {
        if (day > 0 && !world.rooms.empty() && rng.chance(k_reuse_share)) {
            for (int probe = 0; probe < 8; ++probe) {
                size_t i = rng.index(world.rooms.size());
                if (world.rooms[i].last_day < day) {
                    ++summary.reused;
                    return static_cast<int>(i);
                }
            }
        }
        if (rng.chance(k_greenlight_share)) return new_greenlight_room(rng, world);
        int course = !world.courses.empty() && rng.chance(k_existing_course)
                         ? static_cast<int>(rng.index(world.courses.size()))
                         : new_course(rng, world);
        return new_moodle_room(rng, world, course);
    }

    bool start_meeting() {
        if (finished()) return false;
        while (next_slot >= day_slots.size())
            plan_day();
        int64_t create = day_slots[next_slot++];
        Room& room = world.rooms[static_cast<size_t>(choose_room())];
        room.last_day = static_cast<int>(day);
        int server = static_cast<int>(rng.between(1, options.servers)); // a load balancer's choice
        uint64_t meeting = started++;
        // Each meeting has its own random stream, derived from the seed and its number.
        MeetingBuilder builder(options, world, room, servers[static_cast<size_t>(server - 1)], create,
                               splitmix64(options.seed ^ splitmix64(meeting + 1)), summary);
        for (auto& t : builder.build()) {
            heap.push_back({t.received, meeting, t.seq, server, std::move(t.body)});
            std::ranges::push_heap(heap, ArrivesLater{});
        }
        return true;
    }

    SimulatedCallback pop() {
        std::ranges::pop_heap(heap, ArrivesLater{});
        Queued q = std::move(heap.back());
        heap.pop_back();
        return {q.received, servers[static_cast<size_t>(q.server - 1)], q.server, std::move(q.body)};
    }
};

Generator::Generator(const GeneratorOptions& options) : m_impl(std::make_unique<Impl>(options)) {}
Generator::~Generator() = default;
Generator::Generator(Generator&&) noexcept = default;
Generator& Generator::operator=(Generator&&) noexcept = default;

std::optional<SimulatedCallback> Generator::next() {
    Impl& g = *m_impl;
    for (;;) {
        if (!g.heap.empty() && g.heap.front().received < g.horizon()) return g.pop();
        if (!g.start_meeting()) {
            if (g.heap.empty()) return std::nullopt;
            return g.pop();
        }
    }
}

const Summary& Generator::summary() const {
    return m_impl->summary;
}

std::vector<SimulatedCallback> generate_all(const GeneratorOptions& options, Summary* summary) {
    Generator g(options);
    std::vector<SimulatedCallback> out;
    while (auto cb = g.next())
        out.push_back(std::move(*cb));
    if (summary) *summary = g.summary();
    return out;
}

} // namespace bbbhook::simulate
