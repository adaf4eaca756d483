<x-pulse::card :cols="$cols" :rows="$rows" :class="$class">
    <x-pulse::card-header
        name="Sidecast"
        title="Time: {{ number_format($time) }}ms; Run at: {{ $runAt }};"
        details="past {{ $this->periodForHumans() }}"
    />

    <x-pulse::scroll :expand="$expand" wire:poll.5s="">
        @if (empty($figures['connections']))
            <x-pulse::no-results />
        @else
            <div class="grid grid-cols-2 gap-3 text-sm text-gray-700 dark:text-gray-300">
                @foreach ($figures['connections'] as $protocol => $peak)
                    <div wire:key="sidecast-connections-{{ $protocol }}">
                        <div class="text-xs text-gray-500 dark:text-gray-400">Peak {{ $protocol }} connections</div>
                        <div class="text-xl font-bold">{{ number_format($peak) }}</div>
                    </div>
                @endforeach
                <div>
                    <div class="text-xs text-gray-500 dark:text-gray-400">Events in</div>
                    <div class="text-xl font-bold">{{ number_format($figures['messages']['events']) }}</div>
                </div>
                <div>
                    <div class="text-xs text-gray-500 dark:text-gray-400">Deliveries</div>
                    <div class="text-xl font-bold">{{ number_format($figures['messages']['deliveries']) }}</div>
                </div>
                <div>
                    <div class="text-xs text-gray-500 dark:text-gray-400">Dropped</div>
                    <div @class(['text-xl font-bold', 'text-red-600' => $figures['messages']['dropped'] > 0])>{{ number_format($figures['messages']['dropped']) }}</div>
                </div>
            </div>
        @endif
    </x-pulse::scroll>
</x-pulse::card>
