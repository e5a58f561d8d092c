/*
 * An atomic read-modify-write instruction that faults on an unpopulated
 * page reports a read (ESR_ELx.WnR is 0), so the fault maps the zero page
 * and the write that follows faults again.  Handling the read fault as a
 * write when the VMA is writable saves the second fault (and lets THP and
 * mTHP allocate a large folio on the first touch).
 * Off with atomic_write_fault=0 on the command line or vm.atomic_write_fault.
 */
static int sysctl_atomic_write_fault __read_mostly = 1;
core_param(atomic_write_fault, sysctl_atomic_write_fault, int, 0);

static @CONST@struct ctl_table atomic_write_fault_sysctl_table[] = {
	{
		.procname	= "atomic_write_fault",
		.mode		= 0644,
		.data		= &sysctl_atomic_write_fault,
		.maxlen		= sizeof(int),
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},@SENTINEL@
};

static int __init atomic_write_fault_init(void)
{
	if (!register_sysctl("vm", atomic_write_fault_sysctl_table))
		return -EINVAL;
	return 0;
}
core_initcall(atomic_write_fault_init);

static bool is_el0_atomic_read_fault(struct vm_area_struct *vma,
				     vm_flags_t vm_flags, struct pt_regs *regs)
{
	__le32 insn;
	int err;

	if (!READ_ONCE(sysctl_atomic_write_fault) || !(vm_flags & VM_READ) ||
	    (vma->vm_flags & (VM_READ | VM_WRITE)) != (VM_READ | VM_WRITE) ||
	    !user_mode(regs) || compat_user_mode(regs))
		return false;

	pagefault_disable();
	err = get_user(insn, (__le32 __user *)instruction_pointer(regs));
	pagefault_enable();

	return !err && @PREDICATE@(le32_to_cpu(insn));
}

