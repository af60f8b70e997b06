/* PVH entry of the test guests. The boot loader (hvd, or QEMU with -kernel) enters at
 * pvh_start in 32-bit protected mode: paging off, flat segments, interrupts off, %ebx =
 * physical address of struct hv_pvh_start_info. The guests never reload segment registers, so
 * they need no GDT of their own. */

        /* The Xen PHYS32_ENTRY note: namesz 4 ("Xen\0"), descsz 4, type 18, entry address. */
        .section .note.Xen, "a", @note
        .balign 4
        .long 4, 4, 18
        .asciz "Xen"
        .long pvh_start

        .section .text.entry, "ax"
        .code32
        .globl pvh_start
pvh_start:
        cld
        movl $stack_top, %esp
        xorl %ebp, %ebp
        pushl %ebx              /* rt_start(start_info) */
        call rt_start
1:      hlt                     /* rt_start does not return; stay put if it does */
        jmp 1b

        .section .note.GNU-stack, "", @progbits

        .bss
        .balign 16
        .space 16384
stack_top:
