/* The trained M1 model files, embedded in the library as read-only bytes (NAME_bytes ..
 * NAME_end); see model/model_registry.c. m1-202612 is the default; m1-202611 (the default of
 * eiw 0.1 to 0.4) stays so that files made with it keep decoding. */
        .section .rodata
        .balign 64
        .globl eiw_m1_202612_bytes
        .type eiw_m1_202612_bytes, @object
eiw_m1_202612_bytes:
        .incbin "model/weights/m1-202612.eiwm"
        .globl eiw_m1_202612_end
eiw_m1_202612_end:
        .balign 64
        .globl eiw_m1_202611_bytes
        .type eiw_m1_202611_bytes, @object
eiw_m1_202611_bytes:
        .incbin "model/weights/m1-202611.eiwm"
        .globl eiw_m1_202611_end
eiw_m1_202611_end:
        .section .note.GNU-stack,"",@progbits
