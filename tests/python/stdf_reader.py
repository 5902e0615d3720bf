"""An STDF V4 reader written from the specification, independent of seedval's writer (standard library only).

    records = read_stdf(path)          # [(name, {field: value}), ...] in file order

Reads the records seedval writes (FAR, MIR, SDR, PIR, PTR, FTR, PRR, PCR, HBR, SBR, TSR, MRR) field by
field, honouring the rule that trailing fields may be omitted, and checks each record's length against
the bytes it declares. Unknown record types are kept as raw bytes.
"""

import struct

# (type, subtype) -> (name, [(field, kind)]); kinds: U1 U2 U4 I1 I2 R4 C1 Cn, kxU1 = a U1 count-prefixed list
LAYOUTS = {
    (0, 10): ("FAR", [("CPU_TYPE", "U1"), ("STDF_VER", "U1")]),
    (1, 10): ("MIR", [("SETUP_T", "U4"), ("START_T", "U4"), ("STAT_NUM", "U1"), ("MODE_COD", "C1"),
                      ("RTST_COD", "C1"), ("PROT_COD", "C1"), ("BURN_TIM", "U2"), ("CMOD_COD", "C1"),
                      ("LOT_ID", "Cn"), ("PART_TYP", "Cn"), ("NODE_NAM", "Cn"), ("TSTR_TYP", "Cn"),
                      ("JOB_NAM", "Cn"), ("JOB_REV", "Cn"), ("SBLOT_ID", "Cn"), ("OPER_NAM", "Cn"),
                      ("EXEC_TYP", "Cn"), ("EXEC_VER", "Cn"), ("TEST_COD", "Cn"), ("TST_TEMP", "Cn")]),
    (1, 20): ("MRR", [("FINISH_T", "U4"), ("DISP_COD", "C1"), ("USR_DESC", "Cn"), ("EXC_DESC", "Cn")]),
    (1, 30): ("PCR", [("HEAD_NUM", "U1"), ("SITE_NUM", "U1"), ("PART_CNT", "U4"), ("RTST_CNT", "U4"),
                      ("ABRT_CNT", "U4"), ("GOOD_CNT", "U4"), ("FUNC_CNT", "U4")]),
    (1, 40): ("HBR", [("HEAD_NUM", "U1"), ("SITE_NUM", "U1"), ("HBIN_NUM", "U2"), ("HBIN_CNT", "U4"),
                      ("HBIN_PF", "C1"), ("HBIN_NAM", "Cn")]),
    (1, 50): ("SBR", [("HEAD_NUM", "U1"), ("SITE_NUM", "U1"), ("SBIN_NUM", "U2"), ("SBIN_CNT", "U4"),
                      ("SBIN_PF", "C1"), ("SBIN_NAM", "Cn")]),
    (1, 80): ("SDR", [("HEAD_NUM", "U1"), ("SITE_GRP", "U1"), ("SITE_NUM", "kxU1"), ("HAND_TYP", "Cn"),
                      ("HAND_ID", "Cn"), ("CARD_TYP", "Cn"), ("CARD_ID", "Cn"), ("LOAD_TYP", "Cn"),
                      ("LOAD_ID", "Cn")]),
    (5, 10): ("PIR", [("HEAD_NUM", "U1"), ("SITE_NUM", "U1")]),
    (5, 20): ("PRR", [("HEAD_NUM", "U1"), ("SITE_NUM", "U1"), ("PART_FLG", "U1"), ("NUM_TEST", "U2"),
                      ("HARD_BIN", "U2"), ("SOFT_BIN", "U2"), ("X_COORD", "I2"), ("Y_COORD", "I2"),
                      ("TEST_T", "U4"), ("PART_ID", "Cn"), ("PART_TXT", "Cn")]),
    (10, 30): ("TSR", [("HEAD_NUM", "U1"), ("SITE_NUM", "U1"), ("TEST_TYP", "C1"), ("TEST_NUM", "U4"),
                       ("EXEC_CNT", "U4"), ("FAIL_CNT", "U4"), ("ALRM_CNT", "U4"), ("TEST_NAM", "Cn"),
                       ("SEQ_NAME", "Cn"), ("TEST_LBL", "Cn"), ("OPT_FLAG", "U1"), ("TEST_TIM", "R4"),
                       ("TEST_MIN", "R4"), ("TEST_MAX", "R4"), ("TST_SUMS", "R4"), ("TST_SQRS", "R4")]),
    (15, 10): ("PTR", [("TEST_NUM", "U4"), ("HEAD_NUM", "U1"), ("SITE_NUM", "U1"), ("TEST_FLG", "U1"),
                       ("PARM_FLG", "U1"), ("RESULT", "R4"), ("TEST_TXT", "Cn"), ("ALARM_ID", "Cn"),
                       ("OPT_FLAG", "U1"), ("RES_SCAL", "I1"), ("LLM_SCAL", "I1"), ("HLM_SCAL", "I1"),
                       ("LO_LIMIT", "R4"), ("HI_LIMIT", "R4"), ("UNITS", "Cn")]),
    (15, 20): ("FTR", [("TEST_NUM", "U4"), ("HEAD_NUM", "U1"), ("SITE_NUM", "U1"), ("TEST_FLG", "U1")]),
}

FIXED = {"U1": "<B", "U2": "<H", "U4": "<I", "I1": "<b", "I2": "<h", "R4": "<f"}


class StdfError(Exception):
    pass


def _fields(name, layout, body, offset):
    out, at = {}, 0
    for field, kind in layout:
        if at >= len(body):
            break  # trailing fields omitted
        if kind in FIXED:
            size = struct.calcsize(FIXED[kind])
            if at + size > len(body):
                raise StdfError(f"{name} at byte {offset}: field {field} runs past the record")
            (out[field],) = struct.unpack_from(FIXED[kind], body, at)
            at += size
        elif kind == "C1":
            out[field] = chr(body[at])
            at += 1
        elif kind == "Cn":
            n = body[at]
            if at + 1 + n > len(body):
                raise StdfError(f"{name} at byte {offset}: string {field} runs past the record")
            out[field] = body[at + 1:at + 1 + n].decode("ascii")
            at += 1 + n
        elif kind == "kxU1":
            n = body[at]
            out[field] = list(body[at + 1:at + 1 + n])
            at += 1 + n
    if at != len(body):
        raise StdfError(f"{name} at byte {offset}: {len(body) - at} bytes left after the last field")
    return out


def read_stdf(path):
    data = open(path, "rb").read()
    records, at = [], 0
    while at < len(data):
        if at + 4 > len(data):
            raise StdfError(f"a record header is cut at byte {at}")
        length, rtype, sub = struct.unpack_from("<HBB", data, at)
        body = data[at + 4:at + 4 + length]
        if len(body) != length:
            raise StdfError(f"the record at byte {at} declares {length} bytes, {len(body)} remain")
        if (rtype, sub) in LAYOUTS:
            name, layout = LAYOUTS[(rtype, sub)]
            records.append((name, _fields(name, layout, body, at)))
        else:
            records.append((f"{rtype}/{sub}", {"raw": body}))
        at += 4 + length
    return records
