if (is_el0_atomic_read_fault(vma, vm_flags, regs)) {
	vm_flags = VM_WRITE;
	mm_flags |= FAULT_FLAG_WRITE;
}

