/* The default M1 model file, embedded in the library as read-only bytes
 * (eiw_m1_default_bytes .. eiw_m1_default_end); see model/model_registry.c. */
        .section .rodata
        .balign 64
        .globl eiw_m1_default_bytes
        .type eiw_m1_default_bytes, @object
eiw_m1_default_bytes:
        .incbin "model/weights/m1.eiwm"
        .globl eiw_m1_default_end
eiw_m1_default_end:
        .section .note.GNU-stack,"",@progbits
