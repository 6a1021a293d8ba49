import codecs
import random
import unicodedata

import pytest

from qualcode.errors import InputError
from qualcode.textnorm import decode_bytes, fold, normalize_text, read_text_file

FRENCH = "Enquêtrice : C’était « dur », l’œuvre d’une vie… Été 2024, Noël à Lœuilly."


def test_normalize_newlines_and_nfc():
    nfd = unicodedata.normalize("NFD", "été\r\nça\rfin\n")
    assert nfd != "été\r\nça\rfin\n"
    assert normalize_text(nfd) == "été\nça\nfin\n"
    assert normalize_text("\ufeffbonjour") == "bonjour"


@pytest.mark.parametrize(
    "data, encoding",
    [
        (FRENCH.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + FRENCH.encode("utf-8"), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + FRENCH.encode("utf-16-le"), "utf-16-le (BOM)"),
        (codecs.BOM_UTF16_BE + FRENCH.encode("utf-16-be"), "utf-16-be (BOM)"),
        (FRENCH.encode("cp1252"), "cp1252"),
        (FRENCH.encode("utf-16-le"), "utf-16-le"),
        (FRENCH.encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_decode_encodings(data, encoding):
    decoded = decode_bytes(data)
    assert decoded.text == FRENCH
    assert decoded.encoding == encoding


@pytest.mark.parametrize("text", ["é", "ça", "Bonjour à tous", "œ", "Mme Dufour : oui « non »"])
def test_short_cp1252_is_not_misguessed(text):
    # charset-normalizer alone guesses cp037 / cp1006 / big5 on such short inputs.
    decoded = decode_bytes(text.encode("cp1252"))
    assert (decoded.text, decoded.encoding) == (text, "cp1252")


def test_ascii_utf16_without_bom_is_not_binary():
    decoded = decode_bytes("E: bonjour\nR: oui\n".encode("utf-16-le"))
    assert decoded.text == "E: bonjour\nR: oui\n"


def test_non_western_single_byte_left_to_charset_normalizer():
    text = "Привет, как дела? Всё хорошо, спасибо большое, до свидания."
    assert decode_bytes(text.encode("cp1251")).text == text


def test_read_text_file_cp1252_crlf():
    data = "E : c’est « l’œuvre »\r\nMARCEL : été\r\n".encode("cp1252")
    decoded = read_text_file(data)
    assert decoded.text == "E : c’est « l’œuvre »\nMARCEL : été\n"
    assert decoded.encoding == "cp1252"


def test_read_text_file_nfd_input_becomes_nfc():
    data = unicodedata.normalize("NFD", "Enquêtrice : été").encode("utf-8")
    assert read_text_file(data).text == "Enquêtrice : été"


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n", codecs.BOM_UTF8, codecs.BOM_UTF8 + b" \n",
                                  codecs.BOM_UTF16_LE + " \n".encode("utf-16-le")])
def test_read_text_file_empty(data):
    with pytest.raises(InputError, match="empty"):
        read_text_file(data, "x.txt")


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00" + bytes(300),
        random.Random(0).randbytes(4096),
        bytes(range(32)) * 20,
    ],
)
def test_binary_rejected(data):
    with pytest.raises(InputError, match="binary"):
        read_text_file(data, "x.txt")


def test_error_mentions_path():
    with pytest.raises(InputError) as exc:
        read_text_file(b"", "dir/x.txt")
    assert str(exc.value).startswith("dir/x.txt:")


# --------------------------------------------------------------------------- fold


def test_fold():
    assert fold("Enquête") == "enquete"
    assert fold("UNESCO") == fold("Unesco") == "unesco"
    assert fold("Cœur") == "coeur"
    assert fold("l’école") == "l'ecole"
    assert fold("ÇA") == "ca"
    assert fold("Straße") == "strasse"  # casefold, not lower
    assert fold("  Gueule  noire ") == "  gueule  noire "  # spacing is kept


@pytest.mark.parametrize("word", ["l`ecole", "l´école", "L’ÉCOLE", "l‘ecole"])
def test_fold_ascii_and_unicode_paths_agree_on_apostrophes(word):
    assert fold(word) == "l'ecole"


def test_fold_ignores_normalization_form():
    for word in ("Enquête", "Œuvre", "Ça"):
        assert fold(unicodedata.normalize("NFD", word)) == fold(unicodedata.normalize("NFC", word))


def test_one_fold_for_engine_parser_and_diff():
    # the engine matches with it, the parser and codebook diff compare terms with it
    import qualcode.codebook.diff as diff
    import qualcode.codebook.parser as parser
    import qualcode.rules as rules

    assert rules.fold is fold and parser.fold is fold and diff.fold is fold
    assert diff._term_key(" l’Enquête  de\tterrain ") == "l'enquete de terrain"
