//! Golden tests for the shape of generated code, through `kite compile --emit asm`.
//!
//! Each case compiles a module from `tests/disas/` for x86-64 and AArch64 (cross-compiling from
//! either host) and checks two things: properties the convention promises, asserted directly
//! on the disassembly; and the whole listing against `tests/disas/*.expected`, so any change in
//! the generated code shows up in review. `KITE_BLESS=1 cargo test --test golden` rewrites the
//! expected files after a deliberate change.

mod support;

use support::{kite_command, repo};

/// Groups are compiled without profiling: the profiling code runs for a moment (its call to the
/// runtime spills registers), the code that runs after it is this one with a compare in front
/// of each `br_table` (`tests/all/tiering.rs`).
fn compile(module: &str, convention: &str, target: &str, func: &str) -> String {
    let out = kite_command()
        .args([
            "compile",
            "--tier-up-after",
            "never",
            "--tail-cc",
            convention,
            "--target",
            target,
            "--emit",
            "asm",
            "--func",
            func,
            module,
        ])
        .current_dir(repo())
        .output()
        .expect("kite runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Compares with (or, under KITE_BLESS, rewrites) the expected listing.
fn golden(name: &str, actual: &str) {
    let path = repo().join("tests/disas").join(name);
    if std::env::var_os("KITE_BLESS").is_some() {
        std::fs::write(&path, actual).expect("write expected listing");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing: run with KITE_BLESS=1", path.display()));
    assert_eq!(expected, actual, "{} changed: review, then bless with KITE_BLESS=1", path.display());
}

/// The instructions of a listing (no header lines), as `mnemonic operands`.
fn instructions(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter_map(|l| {
            l.split_once(":  ").map(|(_, insn)| insn.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .collect()
}

/// Instructions that touch the stack frame beyond the frame record itself: argument spills,
/// reloads, and callee-saved register saves all look like this.
fn stack_traffic(target: &str, insns: &[String]) -> Vec<String> {
    insns
        .iter()
        .filter(|i| match target {
            "x86_64" => {
                (i.contains("(%rsp") || i.contains("(%rbp") || i.starts_with("push") || i.starts_with("pop"))
                    && *i != "pushq %rbp"
                    && *i != "popq %rbp"
            }
            _ => {
                (i.contains("[sp") || i.contains("[x29"))
                    && *i != "stp x29, x30, [sp, #-0x10]!"
                    && *i != "ldp x29, x30, [sp], #0x10"
            }
        })
        .cloned()
        .collect()
}

#[test]
fn wide_handler_keeps_all_eleven_parameters_in_integer_registers_and_saves_none() {
    for target in ["x86_64", "aarch64"] {
        for func in ["op_add", "op_push"] {
            let listing = compile("tests/disas/handler11.wat", "wide", target, func);
            let insns = instructions(&listing);
            assert!(insns.len() > 10, "{listing}");
            let traffic = stack_traffic(target, &insns);
            assert!(traffic.is_empty(), "{func} on {target} touches the stack: {traffic:?}\n{listing}");
            // preserve_none gives all eleven parameters integer registers (ten on x86-64, where
            // the eleventh rides in a float register this handler never touches): no moves
            // between float and integer registers.
            let float_moves: Vec<_> = insns
                .iter()
                .filter(|i| {
                    i.starts_with("movd")
                        || i.starts_with("fmov")
                        || (i.starts_with("mov w") && i.contains(", v"))
                })
                .collect();
            assert!(
                float_moves.is_empty(),
                "{func} on {target} moves through float registers: {float_moves:?}"
            );
            let last = insns.iter().rfind(|i| !i.starts_with("ud2") && !i.starts_with("udf")).expect("code");
            assert!(
                last.starts_with("jmpq *%") || last.starts_with("br x"),
                "{func} on {target} ends in {last}"
            );
            golden(&format!("handler11.wide.{func}.{target}.expected"), &listing);
        }
    }
}

#[test]
fn baseline_handler_spills_for_comparison() {
    // The yardstick: with the context taking an integer register and only 6 of them, an 11-
    // parameter handler moves parameters through the stack. If this ever stops being true, the
    // `wide` test above proves less than it seems to.
    for target in ["x86_64", "aarch64"] {
        let listing = compile("tests/disas/handler11.wat", "baseline", target, "op_add");
        assert!(!stack_traffic(target, &instructions(&listing)).is_empty(), "{listing}");
        golden(&format!("handler11.baseline.op_add.{target}.expected"), &listing);
    }
}

/// The instructions `kite compile` lists under `;; NAME` inside a fused group's listing.
fn member_section(listing: &str, name: &str) -> Vec<String> {
    let group = listing.split(";; fused group 0: ").nth(2).expect("the group's listing");
    let marker = format!(";; {name}\n");
    let mut insns = Vec::new();
    for part in group.split(&marker).skip(1) {
        let section = part.split("\n;; ").next().unwrap_or("");
        insns.extend(instructions(section));
    }
    insns
}

#[test]
fn fused_tail_calls_between_members_are_jumps() {
    for target in ["x86_64", "aarch64"] {
        let listing = compile("tests/disas/group.wat", "fused", target, "op_add_counted");
        assert!(listing.contains("fused group 0: 4 functions"), "{listing}");
        let frame_teardown = |i: &String| i == "popq %rbp" || i.starts_with("ldp x29, x30");

        // The direct tail call: one jump to a label in the same function, nothing else.
        let counted = member_section(&listing, "op_add_counted");
        let direct = if target == "x86_64" { "jmp 0x" } else { "b #0x" };
        assert!(counted.iter().any(|i| i.starts_with(direct)), "{target}: {counted:?}");
        assert!(!counted.iter().any(frame_teardown), "{target}: {counted:?}");

        // The indirect tail call: a jump through the br_table, without leaving the frame, and
        // with the eleven parameters in registers.
        let push = member_section(&listing, "op_push");
        let indirect = if target == "x86_64" { "jmpq *%" } else { "br x" };
        assert!(push.iter().any(|i| i.starts_with(indirect)), "{target}: {push:?}");
        assert!(push.iter().any(|i| i.starts_with(".jump_table 5 entries")), "{target}: {push:?}");
        assert!(!push.iter().any(frame_teardown), "{target}: {push:?}");
        let traffic = stack_traffic(target, &push);
        assert!(traffic.is_empty(), "op_push on {target} touches the stack: {traffic:?}");

        golden(&format!("group.fused.{target}.expected"), &listing);
    }
}

#[test]
fn vector_kernel_works_on_whole_vectors_in_registers() {
    for target in ["x86_64", "aarch64"] {
        let listing = compile("tests/disas/saxpy.wat", "fused", target, "saxpy");
        let insns = instructions(&listing);
        // Four lanes at a time: packed multiply and add, 16-byte loads and stores, and nothing
        // scalar, spilled or called.
        let packed: &[&str] = match target {
            "x86_64" => &["mulps", "addps", "movdqu (", "movdqu %xmm"],
            _ => &["fmul v", "fadd v", "ldr q", "str q"],
        };
        for op in packed {
            assert!(insns.iter().any(|i| i.starts_with(op)), "no {op} on {target}:\n{listing}");
        }
        let scalar_or_call = |i: &&String| {
            ["mulss", "addss", "call", "bl ", "blr"].iter().any(|s| i.starts_with(s))
                || (i.starts_with("fmul s") || i.starts_with("fadd s"))
        };
        let bad: Vec<_> = insns.iter().filter(scalar_or_call).collect();
        assert!(bad.is_empty(), "{target}: {bad:?}\n{listing}");
        let traffic = stack_traffic(target, &insns);
        assert!(traffic.is_empty(), "saxpy on {target} touches the stack: {traffic:?}");
        golden(&format!("saxpy.fused.{target}.expected"), &listing);
    }
}

/// The loads of a listing's instructions: on x86-64 any instruction but `lea` that reads a memory
/// operand into a register, on AArch64 `ldr`, `ldur` and `ldp`.
fn loads(target: &str, insns: &[String]) -> usize {
    insns
        .iter()
        .filter(|i| match target {
            "x86_64" => {
                let (mnemonic, operands) = i.split_once(' ').unwrap_or((i, ""));
                // AT&T order, source first; commas inside an address's parentheses do not split.
                let mut depth = 0;
                let split = operands.char_indices().rev().find(|(_, c)| {
                    match c {
                        ')' => depth += 1,
                        '(' => depth -= 1,
                        _ => {}
                    }
                    *c == ',' && depth == 0
                });
                let (source, dest) =
                    split.map_or(("", operands), |(at, _)| (&operands[..at], &operands[at + 1..]));
                !mnemonic.starts_with("lea") && source.contains('(') && !dest.contains('(')
            }
            _ => ["ldr", "ldur", "ldp"].iter().any(|l| i.starts_with(l)),
        })
        .count()
}

#[test]
fn stores_to_one_alias_region_leave_loads_from_others_alone() {
    // Each function loads one value twice with a store in between (tests/disas/regions.wat).
    // Only where the store may hit the same bytes must the value be loaded again; the table case
    // also loads the table's definition, length and element array (three loads) for its
    // bounds check.
    let cases = [
        ("global_across_memory", 1),
        ("memory_across_global", 1),
        ("memory_across_table", 1 + 3),
        ("same_memory", 2),
    ];
    for target in ["x86_64", "aarch64"] {
        for (func, expected) in cases {
            let listing = compile("tests/disas/regions.wat", "fused", target, func);
            let insns = instructions(&listing);
            assert_eq!(loads(target, &insns), expected, "{func} on {target}:\n{listing}");
            golden(&format!("regions.{func}.{target}.expected"), &listing);
        }
    }
}
