// Text normalisation for the clean stage: pure functions over UTF-8 strings.
//
// NormalizeText() is the one pass every extracted string goes through: mojibake repair (UTF-8
// that was read as Latin-1/CP1252), HTML entity decoding, control characters removed, no-break
// and other odd spaces turned into plain spaces, runs of spaces collapsed, and Unicode NFC.
// MatchView() derives the normalised matching view (straight quotes, folded dashes).
// Input must be valid UTF-8 (the stage repairs it first). Thread-safe (ICU's NFC instance is
// a process-wide singleton); allocates the returned strings only.
#pragma once

#include <string>
#include <string_view>

namespace newsflow::clean {

// Decodes named (the common HTML set) and numeric character references; unknown names stay.
std::string DecodeEntities(std::string_view s);

// Repairs UTF-8 text that was decoded as CP1252/Latin-1 and re-encoded ("â€™" -> "’",
// "Ã©" -> "é"). Only whole, valid multi-byte sequences are rebuilt, so clean text is unchanged.
std::string RepairMojibake(std::string_view s);

// Unicode NFC via ICU; ASCII and already-normalised input are returned unchanged cheaply.
std::string ToNfc(std::string_view s);

// Mojibake, entities, controls, spaces, NFC. Keeps line breaks ('\n') when keep_newlines is
// true (plain-text input, split into lines afterwards); otherwise every whitespace run becomes
// one space. Leading and trailing whitespace of each line is removed.
std::string NormalizeText(std::string_view s, bool keep_newlines);

// The matching view of already normalised text: typographic quotes to ' and ", dashes,
// hyphens and minus signs to '-', ellipsis to "...". Paragraph structure is kept.
std::string MatchView(std::string_view s);

}  // namespace newsflow::clean
